from dataskydd.cli import main

# Guarded: a worker process started with "spawn" (imports/validating.py) imports this module
# as __mp_main__, and must not run the command line a second time.
if __name__ == "__main__":
    main()
