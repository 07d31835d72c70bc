"""CODEOWNERS deliveries: one repository's file, from the pull job or the import command.

The repository is named by the `x-codeowners-repository` header; the file replaces that repository's rules.
"""

from dataclasses import dataclass

from accountability.catalog.importers.codeowners import codeowners_import
from accountability.ingest.errors import PayloadError, SignatureError
from accountability.ingest.models import Delivery, Source

REPOSITORY_HEADER = "x-codeowners-repository"


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


def delivery_apply(*, delivery: Delivery, payload: CodeownersFile) -> str:
    codeowners_import(repository=payload.repository, text=payload.text)
    return Delivery.Status.PROCESSED
