"""Disclosures to authorities (a court, the police, Skatteverket): who asked, on which legal ground, what was handed over, for whom; some confidential by law."""
