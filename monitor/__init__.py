"""placewatch monitor: config, Redis, poller, ledger, rules, notification, API and CLI."""

__version__ = "0.1.0"
