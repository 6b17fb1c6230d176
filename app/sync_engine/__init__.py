"""The device's sync engine: push the outbox, pull the change feed, retry, report status."""
