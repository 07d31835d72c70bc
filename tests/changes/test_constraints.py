"""The database itself refuses what the change model's rules forbid (DESIGN §4)."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from accountability.changes.models import Change, SignOff
from tests.factories import (
    AIProvenanceFactory,
    ChangeFactory,
    CommitFactory,
    DeploymentFactory,
    EvidenceFactory,
    RollbackPlanFactory,
    ServiceFactory,
    SignOffFactory,
)

pytestmark = pytest.mark.django_db


def refused(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)
    return True


def test_it_refuses_a_second_change_for_the_same_service_and_sha():
    change = ChangeFactory()
    assert refused(ChangeFactory, service=change.service, sha=change.sha)


def test_it_allows_the_same_sha_on_another_service():
    # A monorepo merge deploys several services: one change each.
    change = ChangeFactory()
    ChangeFactory(service=ServiceFactory(), sha=change.sha)
    assert Change.objects.filter(sha=change.sha).count() == 2


def test_it_refuses_the_same_commit_twice_in_a_change():
    commit = CommitFactory()
    assert refused(CommitFactory, change=commit.change, sha=commit.sha)


def test_it_refuses_a_second_deployment_with_the_same_external_id():
    deployment = DeploymentFactory(provider="github", external_id="145988746")
    assert refused(DeploymentFactory, change=deployment.change, provider="github", external_id="145988746")


def test_it_refuses_a_second_provenance_for_a_change():
    provenance = AIProvenanceFactory()
    assert refused(AIProvenanceFactory, change=provenance.change)


@pytest.mark.parametrize("share", [Decimal("-0.1"), Decimal("1.5")])
def test_it_refuses_an_ai_share_outside_0_to_1(share):
    assert refused(AIProvenanceFactory, ai_share=share)


def test_it_refuses_the_same_external_evidence_twice():
    evidence = EvidenceFactory(source="github", external_id="check_suite:118578147")
    assert refused(
        EvidenceFactory,
        change=evidence.change,
        kind=evidence.kind,
        source="github",
        external_id="check_suite:118578147",
    )


def test_it_refuses_a_second_rollback_plan_for_a_change():
    plan = RollbackPlanFactory()
    assert refused(RollbackPlanFactory, change=plan.change)


def test_it_refuses_a_rollback_plan_for_neither_or_both_change_and_service():
    change = ChangeFactory()
    assert refused(RollbackPlanFactory, change=None, service=None)
    assert refused(RollbackPlanFactory, change=change, service=change.service)


def test_it_refuses_to_update_or_delete_a_signoff():
    signoff = SignOffFactory()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        SignOff.objects.filter(pk=signoff.pk).update(note="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        SignOff.objects.filter(pk=signoff.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM changes_signoff")
    signoff.refresh_from_db()
    assert signoff.note == ""


def test_it_refuses_a_fork_in_the_signoff_chain():
    first = SignOffFactory()
    assert refused(SignOffFactory, prev_hash=first.prev_hash)
    assert refused(SignOffFactory, hash=first.hash)
