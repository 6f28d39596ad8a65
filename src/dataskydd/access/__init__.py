"""One access decision for every read, search, write and export of personal data (GDPR art.
5(1)(b), 6, 7, 18, 21): caller, purpose, subject and category in; allow or refuse, with the
reason, out. Every decision is audited."""
