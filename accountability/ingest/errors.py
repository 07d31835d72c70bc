"""Errors the ingest path turns into answers and delivery states; adapters of every source raise these."""

from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError


class SignatureError(Exception):
    """The delivery is not signed (or authenticated) by the source's secret: 401, nothing is stored."""


class PayloadError(ValueError):
    """Input that cannot be understood; the readable message is stored on the Delivery and sent back."""


class DeliveryIgnored(Exception):
    """The delivery is valid but carries nothing we use; the message says why, stored on the Delivery."""


class ConcurrentWrite(Exception):
    """Another transaction kept winning the race to insert the same row (a uniqueness conflict) through
    every in-place retry: not the sender's fault, so the delivery stays pending and is retried later."""


# Errors that say "not now" rather than "never": the task retries them with backoff; everything else
# marks the delivery failed so that it never blocks the others.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError, ConcurrentWrite)
