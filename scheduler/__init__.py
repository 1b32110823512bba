"""Reminder planning (pure) and its APScheduler wiring."""
