"""Where personal data lives: every personal-data column → policy category → link to subject."""
