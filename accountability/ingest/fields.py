"""Source secrets and tokens, encrypted at rest.

Values are encrypted with Fernet under a key derived from SECRET_KEY by HKDF-SHA256 (its own `info`, so the
key is used for nothing else). Keys derived from SECRET_KEY_FALLBACKS still decrypt, so SECRET_KEY can be
rotated; a value no key decrypts reads as empty, which makes the source refuse deliveries until an admin
sets the secret again — never a crash, never a delivery accepted unverified.
"""

import logging
from base64 import urlsafe_b64encode
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

logger = logging.getLogger(__name__)

_HKDF_INFO = b"accountability.ingest.source-secrets.v1"


def _derive_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO)
    return urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@cache
def _fernet(secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_derive_key(key)) for key in (secret_key, *fallbacks)])


def _current_fernet() -> MultiFernet:
    return _fernet(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def encrypt(value: str) -> str:
    return _current_fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(value: str) -> str:
    if not value:
        return ""
    try:
        return _current_fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        logger.warning("a stored source secret cannot be decrypted with SECRET_KEY or its fallbacks")
        return ""


class EncryptedTextField(models.TextField):
    """Plain text in Python, Fernet ciphertext in the database; cannot be filtered on."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value is not None else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
