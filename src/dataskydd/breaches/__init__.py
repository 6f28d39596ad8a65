"""The breach register (GDPR art. 33-34): records, the 72-hour deadline, the notification to
IMY, the decision not to notify and the notification of affected subjects (docs/breaches.md)."""
