"""GET /ledger/checkpoint: the sign-off ledger's newest signed head, for a monitor to poll and keep.

A monitor that stores what it read can later notice what the database alone cannot prove: the entry it
saw gone, its hash changed, or fewer entries than before (and can pass its copy to
`manage.py verify_ledger --checkpoint`).
"""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from accountability.api.auth import ScopedTokenAuth
from accountability.api.errors import ApiError, reject_unknown_query
from accountability.api.models import ApiToken
from accountability.api.outputs import ErrorOut
from accountability.changes.checkpoints import Head, ledger_checkpoint_latest

router = Router(tags=["ledger"])


class CheckpointOut(Schema):
    entry_id: int = Field(description="The newest sign-off when the checkpoint was written")
    entries: int = Field(description="Sign-offs up to and including it; never decreases")
    entry_hash: str
    signature: str = Field(description="HMAC-SHA256 of the above with the server's LEDGER_CHECKPOINT_KEY")
    at: datetime
    text: str = Field(description="id:entries:hash:signature, for `manage.py verify_ledger --checkpoint`")


@router.get(
    "/ledger/checkpoint",
    response={200: CheckpointOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="The sign-off ledger's newest signed checkpoint",
    auth=ScopedTokenAuth(ApiToken.Scope.READ),
)
def ledger_checkpoint(request: HttpRequest):
    reject_unknown_query(request)
    checkpoint = ledger_checkpoint_latest()
    if checkpoint is None:
        raise ApiError(404, "nobody has signed off anything yet: the ledger has no checkpoint")
    head = Head(checkpoint.entry_id, checkpoint.entries, checkpoint.entry_hash, checkpoint.signature)
    return {
        "entry_id": checkpoint.entry_id,
        "entries": checkpoint.entries,
        "entry_hash": checkpoint.entry_hash,
        "signature": checkpoint.signature,
        "at": checkpoint.at,
        "text": head.as_text(),
    }
