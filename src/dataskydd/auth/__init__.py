"""Staff accounts, roles and log-in (SPEC 6: least privilege, memory-hard password hashes)."""
