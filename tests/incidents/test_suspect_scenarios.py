"""Suspect ranking on a labelled set of incident scenarios fed through the public doors (issue 15):
precision@1 at least twice that of "the latest deploy did it", every score with its reason codes."""

import pytest
from django.db import transaction
from django.utils import timezone

from tests.incidents.scenarios import catalog_create, precision_at_1_and_mrr, scenario_run, scenarios

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def outcomes(django_db_setup, django_db_blocker):
    results = {}
    with django_db_blocker.unblock(), transaction.atomic():
        catalog_create()
        now = timezone.now()
        for name, scenario in scenarios():
            # Each alone: the catalog is shared, what one scenario deploys is not.
            with transaction.atomic():
                results[name] = (scenario, scenario_run(name=name, scenario=scenario, now=now))
                transaction.set_rollback(True)
        transaction.set_rollback(True)
    return results


def test_there_are_at_least_twenty_scenarios():
    assert len(scenarios()) >= 20


def test_precision_at_1_is_at_least_twice_the_latest_deploys(outcomes, capsys):
    ours = precision_at_1_and_mrr([(s["cause"], o.ranked) for s, o in outcomes.values()])
    baseline = precision_at_1_and_mrr([(s["cause"], [o.baseline]) for s, o in outcomes.values()])
    with capsys.disabled():
        print(
            f"\nsuspect scenarios: {len(outcomes)}; precision@1 {ours[0]:.2f}, MRR {ours[1]:.2f}; "
            f"latest deploy: precision@1 {baseline[0]:.2f}, MRR {baseline[1]:.2f}"
        )
        for name, (scenario, outcome) in outcomes.items():
            mark = "ok " if outcome.ranked[:1] == [scenario["cause"]] else "MISS"
            cause, ranked, latest = scenario["cause"], outcome.ranked, outcome.baseline
            print(f"  {mark} {name}: cause {cause}, ranked {ranked}, latest {latest}")
    assert ours[0] >= 2 * baseline[0]


def test_a_docs_or_tests_only_change_says_it_is_an_unlikely_cause(outcomes):
    _, outcome = outcomes["03-docs-after-runtime"]
    assert "NO_RUNTIME_CHANGE" in outcome.reasons["docs"]
    assert outcome.ranked == ["code", "docs"]


def test_the_issues_irreversible_migration_beats_a_docs_change_five_minutes_later(outcomes):
    _, outcome = outcomes["05-issue-docs-vs-irreversible-migration"]
    assert outcome.ranked[0] == "migration"
    assert {"CHANGE_NATURE", "IRREVERSIBLE_DATA_CHANGE", "AI_WRITTEN"} <= set(outcome.reasons["migration"])


def test_a_rollbacks_restore_is_no_suspect_and_the_rolled_back_change_is_marked_undone(outcomes):
    _, outcome = outcomes["06-rolled-back-during-incident"]
    assert "stable" not in outcome.ranked
    assert outcome.ranked[0] == "bad"
    assert "ALREADY_UNDONE" in outcome.reasons["bad"]


def test_every_suspect_carries_reason_codes(outcomes):
    for _, outcome in outcomes.values():
        assert all(codes for codes in outcome.reasons.values())
