"""Placeholder: the adapter lands in a following commit."""

from accountability.ingest.errors import DeliveryIgnored, SignatureError


def verify(*, source, headers: dict, body: bytes) -> None:
    raise SignatureError("this source is not implemented yet")


def parse(*, body: bytes, headers: dict) -> dict:
    return {}


def delivery_apply(*, delivery, payload) -> str:
    raise DeliveryIgnored("this source is not implemented yet")
