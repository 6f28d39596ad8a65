"""Personal recommendations from viewing history that respect objections (issue 16):
item-item co-occurrence trained on the events the recommendations purpose may use, served at
request time through the access decision (docs/recommendations.md)."""
