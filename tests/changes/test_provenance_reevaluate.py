"""A registry change re-evaluates recent changes, and a change's earlier verdicts are kept (issue 13)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accountability.changes.provenance import provenance_refresh
from accountability.changes.reevaluation import provenance_reevaluate
from accountability.changes.registry import registry_current
from tests.factories import AgentRuleFactory, ChangeFactory, CommitFactory

pytestmark = pytest.mark.django_db

NEW_AGENT = "Fix the cache\n\nCo-authored-by: Newbot <bot@newagent.example>\n"


@pytest.fixture
def change():
    change = ChangeFactory()
    CommitFactory(change=change, message=NEW_AGENT)
    provenance_refresh(change=change)
    return change


def test_a_rule_an_admin_adds_reaches_recent_changes_and_keeps_the_old_verdict(change):
    assert change.provenance.level == "unknown"

    AgentRuleFactory(
        entry_id="cursor", kind="email", match="bot@newagent.example", source="https://x.example"
    )
    result = provenance_reevaluate()

    change.refresh_from_db()
    assert (result.recomputed, result.changed) == (1, 1)
    assert (change.provenance.level, change.provenance.tools) == ("assisted", ["Cursor"])
    assert change.provenance.registry_version == registry_current().version
    (earlier,) = change.provenance_history.all()
    assert (earlier.level, earlier.replaced_by_version) == ("unknown", registry_current().version)


def test_a_second_run_finds_nothing_to_do(change):
    AgentRuleFactory(entry_id="cursor", kind="email", match="bot@newagent.example")
    provenance_reevaluate()

    assert provenance_reevaluate().recomputed == 0


def test_old_changes_are_left_as_they_were(change):
    change.merged_at = timezone.now() - timedelta(days=400)
    change.save()
    AgentRuleFactory(entry_id="cursor", kind="email", match="bot@newagent.example")

    call_command("provenance_reevaluate", "--days", "90")

    change.refresh_from_db()
    assert change.provenance.level == "unknown"


def test_recomputing_under_the_same_verdict_writes_no_history(change):
    provenance_refresh(change=change)

    assert not change.provenance_history.exists()


@pytest.mark.parametrize(
    ("data", "valid"),
    [
        ({"entry_id": "cursor", "kind": "email", "match": "bot@cursor.example", "source": "https://x"}, True),
        (
            {"entry_id": "nobody", "kind": "email", "match": "bot@cursor.example", "source": "https://x"},
            False,
        ),
        ({"entry_id": "cursor", "kind": "message", "match": "Made with (", "source": "https://x"}, False),
        ({"entry_id": "cursor", "kind": "email", "match": "bot@cursor.example", "source": ""}, False),
    ],
)
def test_the_admin_accepts_only_rules_of_known_entries_with_a_source_and_a_valid_pattern(data, valid):
    from accountability.changes.admin import AgentRuleForm

    assert AgentRuleForm(data=data).is_valid() == valid
