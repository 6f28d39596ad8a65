"""Controlled exports of subjects' data to a recipient: only the categories the policy lets
that recipient receive, through the access decision, logged per subject."""
