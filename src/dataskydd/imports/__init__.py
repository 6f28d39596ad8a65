"""Bulk import of an existing customer base from CSV or XLSX into the register (issue 16)."""
