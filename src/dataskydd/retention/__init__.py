"""Retention that runs: every category rule of the policy applied across every system of the
data map, in short batches, with legal holds and restrictions respected and a report kept as
evidence (docs/retention.md)."""
