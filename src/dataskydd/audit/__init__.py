"""Tamper-evident audit log: who did what to whose data, and why (GDPR art. 5(2), art. 30)."""
