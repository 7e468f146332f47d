"""event-service: the event side of a multi-tenant ticketing platform."""

__version__ = "0.1.0"
