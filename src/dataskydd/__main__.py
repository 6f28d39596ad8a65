from dataskydd.cli import main

main()
