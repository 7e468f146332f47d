"""Schedules: the performances of an event, single or recurring, and their calendar feeds."""
