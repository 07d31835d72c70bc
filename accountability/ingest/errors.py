"""Errors the ingest path turns into answers and delivery states; adapters of every source raise these."""


class SignatureError(Exception):
    """The delivery is not signed (or authenticated) by the source's secret: 401, nothing is stored."""


class PayloadError(ValueError):
    """Input that cannot be understood; the readable message is stored on the Delivery and sent back."""


class DeliveryIgnored(Exception):
    """The delivery is valid but carries nothing we use; the message says why, stored on the Delivery."""
