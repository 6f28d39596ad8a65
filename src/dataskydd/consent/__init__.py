"""Cookie consent from the website's banner, kept as evidence (lagen om elektronisk
kommunikation 9 kap. 28 §; GDPR art. 7(1))."""
