"""Property: a change deployed after the incident started never outranks an identical one deployed before."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from accountability.analysis.suspects import Candidate, suspect_score, suspects_rank

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


@settings(max_examples=500, deadline=None)
@given(
    before_minutes=st.integers(0, 24 * 60),
    after_minutes=st.integers(1, 24 * 60),
    hops=st.integers(0, 3),
    status=st.sampled_from(["succeeded", "rolled_back", "in_progress", "queued"]),
    artifact=st.booleans(),
    risk=st.one_of(st.none(), st.integers(0, 100)),
    mentioned=st.booleans(),
    order=st.booleans(),
)
def test_it_never_ranks_a_later_identical_deployment_first(
    before_minutes, after_minutes, hops, status, artifact, risk, mentioned, order
):
    common = dict(service_slug="api", sha="abcdef1234", hops=hops, status=status, risk_score=risk)
    artifact_id = "pkg:oci/api@sha256:1" if artifact else ""
    deployed_before = START - timedelta(minutes=before_minutes)
    deployed_after = START + timedelta(minutes=after_minutes)
    before = Candidate(
        change_id=2,
        started_at=deployed_before - timedelta(minutes=5),
        finished_at=deployed_before,
        artifact_id=artifact_id,
        **common,
    )
    after = Candidate(
        change_id=1,
        started_at=deployed_after,
        finished_at=deployed_after + timedelta(minutes=5),
        artifact_id=artifact_id,
        **common,
    )
    mentions = frozenset({("api", "abcdef1")}) if mentioned else frozenset()
    scored = [
        suspect_score(
            candidate=c, incident_started_at=START, incident_artifact_id=artifact_id, mentions=mentions
        )
        for c in ((before, after) if order else (after, before))
    ]

    ranked = suspects_rank(suspects=scored)

    assert ranked[0].change_id == before.change_id
