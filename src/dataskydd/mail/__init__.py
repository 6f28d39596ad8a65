"""Outgoing mail: an outbox table, sent through SMTP when DATASKYDD_SMTP_URL is set."""
