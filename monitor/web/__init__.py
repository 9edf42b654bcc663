"""The HTTP side of placewatch: JSON queries over the ledger, live alerts, Prometheus metrics and the dashboard."""
