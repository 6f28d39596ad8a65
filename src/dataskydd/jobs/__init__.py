"""Scheduled and long work (retention runs, reminders, outbox delivery) on a real job queue."""
