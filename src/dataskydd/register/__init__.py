"""The personal-data register (SPEC section 2)."""
