"""Every URL pattern, every role: the expected status code, or the test fails.

A new URL without a row here fails `test_it_has_an_entry_for_every_url_pattern`, so nobody adds a
page without deciding who may use it. Statuses: 200 page, 302 redirect (to login for anonymous
visitors; after a successful POST otherwise), 400 allowed but the empty form is invalid, 403 refused
with a reason, 405 wrong method.
"""

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import (
    ChangeFactory,
    IncidentFactory,
    MembershipFactory,
    PersonFactory,
    ServiceFactory,
    SignOffFactory,
    SourceFactory,
    SuspectChangeFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "viewer", "owner", "commander", "admin")


@dataclass(frozen=True)
class Row:
    method: str
    expected: dict[str, int]
    # For an unnamed pattern (keyed by its route), the URL to request.
    path: str = ""


def page(**overrides) -> Row:
    """A page everyone signed in can read; anonymous visitors are sent to the login."""
    return Row(
        "get", {"anonymous": 302, "viewer": 200, "owner": 200, "commander": 200, "admin": 200} | overrides
    )


MATRIX: dict[str, Row] = {
    "home": page(),
    "healthz": Row("get", dict.fromkeys(ROLES, 200)),
    # A monitor's door: a session grants nothing; only METRICS_TOKEN or an allowed address (test_metrics.py).
    "metrics": Row("get", dict.fromkeys(ROLES, 403)),
    # Everyone signed in chooses what reaches them; users not linked to a person see why nothing does.
    "notify:settings": page(),
    "login": Row("get", {"anonymous": 200, "viewer": 302, "owner": 302, "commander": 302, "admin": 302}),
    "logout": Row("post", dict.fromkeys(ROLES, 302)),
    # The OpenID Connect flow's two ends: absent (404) while OIDC_ISSUER is unset, as in this suite; with it
    # set they are open to anyone (tests/identity drives them against a real provider).
    "identity:login": Row("get", dict.fromkeys(ROLES, 404)),
    "identity:callback": Row("get", dict.fromkeys(ROLES, 404)),
    "catalog:search": page(),
    "catalog:service": page(),
    "catalog:person": page(),
    "catalog:team": page(),
    "changes:review": page(),
    "changes:gaps": page(),
    "changes:metrics": page(),
    "changes:my_signoffs": page(),
    "changes:detail": page(),
    # Only the owner of record or a member of the owning team, with the owner role, may sign; an admin
    # is not accountable for other teams' changes by being an admin.
    "changes:sign": Row(
        "post", {"anonymous": 302, "viewer": 403, "owner": 400, "commander": 403, "admin": 403}
    ),
    "changes:revoke": Row(
        "post", {"anonymous": 302, "viewer": 403, "owner": 400, "commander": 403, "admin": 403}
    ),
    # Acknowledging a gap writes an audited note; any signed-in person may (a manager reads as a viewer).
    # An empty note is refused with a message and a redirect back to the gap.
    "changes:gap_acknowledge": Row("post", {"anonymous": 302, **dict.fromkeys(ROLES[1:], 302)}),
    "incidents:list": page(),
    "incidents:detail": page(),
    "incidents:suspect_verdict": Row(
        "post", {"anonymous": 302, "viewer": 403, "owner": 403, "commander": 400, "admin": 400}
    ),
    # Machines: a session grants nothing; webhooks need the source's signature, the API a token.
    "ingest:receive-github": Row("post", dict.fromkeys(ROLES, 401)),
    "ingest:receive-pagerduty": Row("post", dict.fromkeys(ROLES, 401)),
    "ingest:receive-cdevents": Row("post", dict.fromkeys(ROLES, 401)),
    "api:openapi-json": Row("get", dict.fromkeys(ROLES, 200)),
    "api:openapi-view": Row("get", dict.fromkeys(ROLES, 200)),
    "api:api-root": Row("get", dict.fromkeys(ROLES, 404)),
    "api:change_register": Row("post", dict.fromkeys(ROLES, 401)),
    "api:evidence_attach": Row("post", dict.fromkeys(ROLES, 401)),
    "api:rollback_rehearsal_attach": Row("post", dict.fromkeys(ROLES, 401)),
    "api:delivery_status": Row("get", dict.fromkeys(ROLES, 401)),
    "api:gate": Row("post", dict.fromkeys(ROLES, 401)),
    "api:change_list": Row("get", dict.fromkeys(ROLES, 401)),
    "api:provenance_record": Row("post", dict.fromkeys(ROLES, 401)),
    "api:change_detail": Row("get", dict.fromkeys(ROLES, 401)),
    "api:change_by_sha": Row("get", dict.fromkeys(ROLES, 401)),
    "api:service_list": Row("get", dict.fromkeys(ROLES, 401)),
    "api:service_detail": Row("get", dict.fromkeys(ROLES, 401)),
    "api:owners_lookup": Row("get", dict.fromkeys(ROLES, 401)),
    "api:incident_list": Row("get", dict.fromkeys(ROLES, 401)),
    "api:incident_detail": Row("get", dict.fromkeys(ROLES, 401)),
    "api:gap_list": Row("get", dict.fromkeys(ROLES, 401)),
    "api:metrics": Row("get", dict.fromkeys(ROLES, 401)),
    "api:ledger_checkpoint": Row("get", dict.fromkeys(ROLES, 401)),
    # The API's catch-all answers a JSON 404 instead of the HTML one.
    "api/v1/^(?P<rest>[\\s\\S]*)$": Row("get", dict.fromkeys(ROLES, 404), path="/api/v1/no/such/endpoint"),
}

# Namespaces whose every pattern is guarded by one rule, checked on a representative URL.
NAMESPACES: dict[str, tuple[str, Row]] = {
    # Django's admin: staff only; others are sent to the admin login.
    "admin": (
        "admin:index",
        Row("get", {"anonymous": 302, "viewer": 302, "owner": 302, "commander": 302, "admin": 200}),
    ),
}


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}".strip(":") if entry.name else ""
            yield name, namespace, prefix + str(entry.pattern)


def all_patterns():
    return list(_walk(get_resolver().url_patterns))


def test_it_has_an_entry_for_every_url_pattern():
    missing = [
        f"{name or '(unnamed)'} {route}"
        for name, namespace, route in all_patterns()
        if (name or route) not in MATRIX and namespace.split(":")[0] not in NAMESPACES
    ]
    assert missing == [], f"URL patterns without a permission-matrix entry: {missing}"


def test_it_has_no_stale_entries():
    names = {name or route for name, _, route in all_patterns()}
    assert set(MATRIX) - names == set()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # 700 requests by 5 personas: the production hasher's cost is not what this test is about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    """The personas: an owner of record with a change to sign, a commander, a viewer, an admin."""
    owner_person = PersonFactory(name="Olga Owner")
    service = ServiceFactory(slug="checkout", owner_of_record=owner_person)
    MembershipFactory(person=owner_person, team=service.owner_team)
    change = ChangeFactory(service=service)
    signoff = SignOffFactory(change=change, signer=owner_person)
    suspect = SuspectChangeFactory(incident=IncidentFactory(), change=change)
    from django.utils import timezone

    from accountability.analysis.models import Gap

    gap = Gap.objects.create(
        code=Gap.Code.NO_ROLLBACK_PLAN,
        severity=Gap.Severity.HIGH,
        change=change,
        accountable_team=service.owner_team,
        sentence="No rollback plan.",
        first_seen=timezone.now(),
        last_seen=timezone.now(),
    )
    users = {
        "viewer": user_with_role("viewer"),
        "owner": user_with_role("owner", person=owner_person),
        "commander": user_with_role("commander", person=PersonFactory()),
        "admin": UserFactory(username="root", is_staff=True, is_superuser=True),
    }
    kwargs = {
        "catalog:service": {"slug": service.slug},
        "catalog:person": {"handle": owner_person.handle},
        "catalog:team": {"slug": service.owner_team.slug},
        "changes:detail": {"pk": change.pk},
        "changes:sign": {"pk": change.pk},
        "changes:revoke": {"pk": change.pk},
        "changes:gap_acknowledge": {"pk": gap.pk},
        "incidents:detail": {"pk": suspect.incident_id},
        "incidents:suspect_verdict": {"pk": suspect.incident_id, "suspect_pk": suspect.pk},
        "api:evidence_attach": {"service": service.slug, "sha": change.sha},
        "api:rollback_rehearsal_attach": {"service": service.slug, "sha": change.sha},
        "api:delivery_status": {"delivery_id": 1},
        "api:change_detail": {"change_id": change.pk},
        "api:change_by_sha": {"service": service.slug, "sha": change.sha},
        "api:service_detail": {"slug": service.slug},
        "api:incident_detail": {"incident_id": suspect.incident_id},
    }
    for kind in ("github", "pagerduty", "cdevents"):
        SourceFactory(kind=kind, name=f"main-{kind}")
        kwargs[f"ingest:receive-{kind}"] = {"name": f"main-{kind}"}
    return {"users": users, "kwargs": kwargs, "signoff": signoff}


def _cases():
    rows = dict(MATRIX)
    rows.update({name: row for name, row in NAMESPACES.values()})
    return [(name, role) for name in rows for role in ROLES]


@pytest.mark.parametrize(("name", "role"), _cases())
def test_it_answers_each_role_as_the_matrix_says(client, world, name, role):
    row = MATRIX.get(name) or next(row for url, row in NAMESPACES.values() if url == name)
    if role != "anonymous":
        client.force_login(world["users"][role])
    url = row.path or reverse(name, kwargs=world["kwargs"].get(name))
    response = getattr(client, row.method)(url)
    assert response.status_code == row.expected[role], f"{row.method.upper()} {url} as {role}"
    if response.status_code == 302 and role == "anonymous" and name not in ("logout",):
        assert "login" in response["Location"]


def test_it_explains_a_refusal_on_the_403_page(client, world):
    client.force_login(world["users"]["viewer"])
    response = client.post(reverse("changes:sign", kwargs=world["kwargs"]["changes:sign"]))
    assert response.status_code == 403
    assert "Signing off needs the owner role" in response.content.decode()
