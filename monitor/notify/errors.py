class DeliveryError(Exception):
    """A channel could not deliver an alert; the message says why (without secrets)."""
