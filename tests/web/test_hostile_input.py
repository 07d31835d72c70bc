"""No request from outside produces a 500: hostile query strings and form posts on every page."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    ChangeFactory,
    IncidentFactory,
    MembershipFactory,
    PersonFactory,
    ServiceFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

PAGES = ["/review/", "/review/gaps/", "/review/metrics/", "/my/signoffs/", "/search/", "/incidents/"]
PARAMS = [
    "q",
    "team",
    "service",
    "environment",
    "period",
    "tier",
    "ai_level",
    "signoff",
    "gap",
    "risk_min",
    "risk_max",
    "sort",
    "page",
    "code",
]
nasty = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\x00", "a\x00b", "-1", "1e309", "9" * 40, "' OR 1=1 --", "%", "..", "/", "@", "::"]),
)


@pytest.fixture
def owner_client(client):
    owner = PersonFactory()
    service = ServiceFactory(owner_of_record=owner)
    MembershipFactory(person=owner, team=service.owner_team)
    client.change = ChangeFactory(service=service)
    client.force_login(user_with_role("owner", person=owner))
    client.raise_request_exception = False
    return client


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=st.sampled_from(PAGES), params=st.dictionaries(st.sampled_from(PARAMS), nasty, max_size=4))
def test_it_never_answers_500_to_a_query_string(owner_client, page, params):
    response = owner_client.get(page, params)
    assert response.status_code in (200, 400), (page, params, response.status_code)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.dictionaries(
        st.sampled_from(
            ["decision", "note", "override_reason", "delegate", "signoff", "verdict", "read_ai_parts"]
        ),
        nasty,
        max_size=4,
    )
)
def test_it_never_answers_500_to_a_form_post(owner_client, data):
    change = owner_client.change
    incident = IncidentFactory()
    for url in (
        f"/changes/{change.pk}/sign/",
        f"/changes/{change.pk}/revoke/",
        f"/incidents/{incident.pk}/suspects/1/verdict/",
        "/review/gaps/1/acknowledge/",
    ):
        response = owner_client.post(url, data)
        assert response.status_code < 500, (url, data, response.status_code)
