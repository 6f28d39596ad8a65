"""Statistics over the register, published only as k-anonymous aggregates (SPEC 3)."""
