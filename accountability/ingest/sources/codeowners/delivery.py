"""CODEOWNERS deliveries: one repository's file, from the pull job or the import command.

The repository is named by the `x-codeowners-repository` header; the file replaces that repository's rules.
"""

from dataclasses import dataclass

from accountability.catalog.importers.codeowners import codeowners_import
from accountability.ingest.errors import PayloadError, SignatureError
from accountability.ingest.models import Delivery, Source
from accountability.ingest.payload import body_digest

REPOSITORY_HEADER = "x-codeowners-repository"
# The one event a delivery of this source is (its pull job and its import command store it under this).
EVENT = "codeowners.file"


@dataclass(frozen=True)
class CodeownersFile:
    repository: str
    text: str


def verify(*, source: Source, headers: dict, body: bytes) -> None:
    raise SignatureError("CODEOWNERS files are pulled, not pushed: there is no webhook receiver")


def parse(*, body: bytes, headers: dict) -> CodeownersFile:
    repository = headers.get(REPOSITORY_HEADER, "").strip()
    if not repository:
        raise PayloadError(f"the {REPOSITORY_HEADER} header naming the repository is missing")
    try:
        return CodeownersFile(repository=repository, text=body.decode())
    except UnicodeDecodeError:
        raise PayloadError("the CODEOWNERS file is not UTF-8 text") from None


def identify(*, payload: CodeownersFile, headers: dict, body: bytes) -> tuple[str, str]:
    # Pulled and imported files are named by their digest: the same file twice is one delivery.
    return body_digest(body), EVENT


def apply(*, delivery: Delivery, payload: CodeownersFile) -> str:
    codeowners_import(repository=payload.repository, text=payload.text)
    return Delivery.Status.PROCESSED
