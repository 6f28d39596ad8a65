"""The policy's recipients as a register: their data processing agreements, the documents,
the transfer mechanism's evidence and the review dates (docs/recipients.md)."""
