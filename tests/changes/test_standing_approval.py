"""The standing approval is one rule: signoffs_standing in Python, and migration 0005's trigger that keeps
Change.approved in SQL. On the same ledger entries they agree."""

import pytest

from accountability.changes.ledger import signoff_append, signoffs_standing
from accountability.changes.models import Change
from tests.factories import ChangeFactory, PersonFactory

pytestmark = pytest.mark.django_db

# Each step: (decision, index of the earlier entry a revoke names); then whether an approval stands.
HISTORIES = {
    "nothing signed": ([], False),
    "one approval": ([("approve", None)], True),
    "a rejection": ([("reject", None)], False),
    "an approval revoked": ([("approve", None), ("revoke", 0)], False),
    "approved again after a revoke": ([("approve", None), ("revoke", 0), ("approve", None)], True),
    "two approvals, one revoked": ([("approve", None), ("approve", None), ("revoke", 1)], True),
    "a rejection after an approval": ([("approve", None), ("reject", None)], True),
    "both approvals revoked": ([("approve", None), ("approve", None), ("revoke", 0), ("revoke", 1)], False),
}


@pytest.mark.parametrize(("history", "standing"), HISTORIES.values(), ids=HISTORIES.keys())
def test_the_trigger_and_the_python_rule_agree(history, standing):
    change = ChangeFactory()
    entries = []
    for decision, revokes in history:
        entries.append(
            signoff_append(
                change=change,
                signer=PersonFactory(),
                decision=decision,
                revokes=entries[revokes] if revokes is not None else None,
                note="revoked" if decision == "revoke" else "",
            )
        )

    stored = Change.objects.get(pk=change.pk).approved
    assert stored == bool(signoffs_standing(change.signoffs.all()))
    assert stored is standing
