"""One factory_boy factory per model; tests name only what matters to them."""

import hashlib
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accountability.analysis.models import (
    BlastRadius,
    Gap,
    MetricSnapshot,
    Policy,
    PolicyResult,
    RiskAssessment,
)
from accountability.analysis.policy import DEFAULT_POLICY_RULES
from accountability.api.models import ApiToken, GateDecision, ProtectionRuleRequest
from accountability.audit.models import AuditEvent
from accountability.catalog.models import (
    Dependency,
    EnvironmentMapping,
    Membership,
    OnCallShift,
    PathOwner,
    Person,
    Service,
    Team,
)
from accountability.changes.models import (
    AgentRule,
    AIProvenance,
    Change,
    Commit,
    Deployment,
    Evidence,
    ProvenanceHistory,
    ProvenanceRecord,
    RollbackPlan,
    SignOff,
)
from accountability.identity.models import ProviderIdentity, SignedInSession
from accountability.incidents.models import Incident, IncidentEvent, SuspectChange
from accountability.ingest.models import Delivery, Source
from accountability.notify.models import Notification, NotificationSettings, PagerDutyIntegration

TEST_PASSWORD = "correct horse battery staple"


def fake_sha(n: int) -> str:
    return hashlib.sha1(str(n).encode(), usedforsecurity=False).hexdigest()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(TEST_PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    github_login = factory.Sequence(lambda n: f"person{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    team = factory.SubFactory(TeamFactory)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")
    tier = 2
    owner_team = factory.SubFactory(TeamFactory)
    owner_of_record = factory.SubFactory(PersonFactory)
    repositories = factory.LazyAttribute(lambda s: [f"acme/{s.slug}"])
    dependencies_known = True


class DependencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dependency

    from_service = factory.SubFactory(ServiceFactory)
    to_service = factory.SubFactory(ServiceFactory)


class OnCallShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OnCallShift

    person = factory.SubFactory(PersonFactory)
    team = factory.SubFactory(TeamFactory)
    start = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    end = factory.LazyAttribute(lambda s: s.start + timedelta(hours=12))


class PathOwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PathOwner

    repository = "acme/payments"
    pattern = "*"
    owners = factory.LazyFunction(lambda: ["@acme/payments-team"])
    line = factory.Sequence(lambda n: n + 1)


class ChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Change

    service = factory.SubFactory(ServiceFactory)
    repository = factory.LazyAttribute(lambda c: c.service.repositories[0] if c.service.repositories else "")
    sha = factory.Sequence(fake_sha)
    pr_number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Change {n}")
    author_logins = factory.LazyFunction(lambda: ["alice"])
    merged_at = factory.LazyFunction(timezone.now)
    files_changed = 3
    additions = 40
    deletions = 10


class CommitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commit

    change = factory.SubFactory(ChangeFactory)
    sha = factory.Sequence(lambda n: fake_sha(n + 10_000_000))
    message = "Fix the thing"
    author_login = "alice"
    committed_at = factory.LazyFunction(timezone.now)


class DeploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deployment

    change = factory.SubFactory(ChangeFactory)
    environment = "production"
    status = Deployment.Status.SUCCEEDED
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=10))
    finished_at = factory.LazyFunction(timezone.now)
    provider = "demo"


class AIProvenanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIProvenance

    change = factory.SubFactory(ChangeFactory)
    level = AIProvenance.Level.UNKNOWN


class ProvenanceHistoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProvenanceHistory

    change = factory.SubFactory(ChangeFactory)
    level = AIProvenance.Level.UNKNOWN
    confidence = AIProvenance.Confidence.NONE
    registry_version = "2026.01.01-1"
    valid_until = factory.LazyFunction(timezone.now)


class AgentRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentRule

    entry_id = "cursor"
    kind = AgentRule.Kind.EMAIL
    match = factory.Sequence(lambda n: f"agent-{n}@cursor.example")
    source = "https://docs.cursor.com"


def _person_with_login(login: str) -> Person:
    return Person.objects.filter(github_login__iexact=login).first() or PersonFactory(
        github_login=login, name=login
    )


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    change = factory.SubFactory(ChangeFactory)
    kind = Evidence.Kind.CI_TESTS
    result = Evidence.Result.PASSED
    url = "https://ci.example.com/runs/1"
    at = factory.LazyFunction(timezone.now)
    # A review comes from the code host by default, by the catalogued person with the reviewer's login, as
    # the GitHub adapter records it: the only shape of human_review the policy counts.
    source = factory.LazyAttribute(lambda o: "github" if o.kind == Evidence.Kind.HUMAN_REVIEW else "")
    actor_login = ""
    recorded_by = factory.LazyAttribute(
        lambda o: (
            _person_with_login(o.actor_login)
            if o.kind == Evidence.Kind.HUMAN_REVIEW and o.actor_login
            else None
        )
    )


class RollbackPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RollbackPlan

    change = factory.SubFactory(ChangeFactory)
    strategy = RollbackPlan.Strategy.REDEPLOY_PREVIOUS
    steps = "Redeploy the previous release from the pipeline."
    expected_minutes = 10


class SignOffFactory(factory.django.DjangoModelFactory):
    """A raw ledger row; real sign-offs go through the ledger's domain function, which chains hashes."""

    class Meta:
        model = SignOff

    change = factory.SubFactory(ChangeFactory)
    signer = factory.SubFactory(PersonFactory)
    decision = SignOff.Decision.APPROVE
    created_at = factory.LazyFunction(timezone.now)
    prev_hash = factory.Sequence(lambda n: hashlib.sha256(f"prev{n}".encode()).hexdigest())
    hash = factory.Sequence(lambda n: hashlib.sha256(f"hash{n}".encode()).hexdigest())


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    source = "manual"
    external_id = factory.Sequence(lambda n: f"INC-{n}")
    title = factory.Sequence(lambda n: f"Incident {n}")
    severity = "SEV2"
    started_at = factory.LazyFunction(timezone.now)


class IncidentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentEvent

    incident = factory.SubFactory(IncidentFactory)
    at = factory.LazyFunction(timezone.now)
    kind = "triggered"


class SuspectChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuspectChange

    incident = factory.SubFactory(IncidentFactory)
    change = factory.SubFactory(ChangeFactory)
    score = 0.5
    rank = 1
    reasons = factory.LazyFunction(
        lambda: [
            {"code": "TIME_PROXIMITY", "points": 0.5, "sentence": "Deployed 2 h before the incident started."}
        ]
    )
    computed_at = factory.LazyFunction(timezone.now)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    kind = Source.Kind.GITHUB
    name = factory.Sequence(lambda n: f"source-{n}")
    secret = "It's a Secret to Everybody"


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    source = factory.SubFactory(SourceFactory)
    external_id = factory.Sequence(lambda n: f"delivery-{n}")
    event_type = "ping"
    body = b"{}"


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    actor = factory.SubFactory(UserFactory)
    actor_label = factory.LazyAttribute(lambda e: e.actor.username)
    action = "signoff.create"


class ProvenanceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProvenanceRecord

    kind = ProvenanceRecord.Kind.GIT_AI_NOTE
    commit_sha = factory.Sequence(lambda n: fake_sha(n + 20_000_000))
    external_id = factory.Sequence(lambda n: f"record-{n}")
    # A legacy-format git-ai note: one file, lines 1-10 written by one AI session.
    content = (
        'src/app.py\n  abcd1234abcd1234 1-10\n---\n{"schema_version": "authorship/3.0.0", "prompts": {}}\n'
    )


class BlastRadiusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlastRadius

    change = factory.SubFactory(ChangeFactory)
    score = 1.0
    impacted = factory.LazyAttribute(
        lambda r: [{"service": r.change.service_id, "depth": 0, "path": [r.change.service_id], "weight": 1.0}]
    )
    impacted_count = 1
    teams = factory.LazyAttribute(lambda r: [{"id": r.change.service.owner_team_id, "name": "Owning team"}])
    on_call = factory.LazyFunction(lambda: [{"name": "On-call person"}])
    computed_at = factory.LazyFunction(timezone.now)


class RiskAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskAssessment

    change = factory.SubFactory(ChangeFactory)
    score = 25
    factors = factory.LazyFunction(
        lambda: [{"code": "LARGE_DIFF", "points": 25, "sentence": "The diff is large."}]
    )
    computed_at = factory.LazyFunction(timezone.now)


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    version = factory.Sequence(lambda n: 1000 + n)
    rules = factory.LazyFunction(lambda: DEFAULT_POLICY_RULES)


class PolicyResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyResult

    change = factory.SubFactory(ChangeFactory)
    environment = "production"
    decision = "allow"
    controls = factory.LazyFunction(
        lambda: [{"code": "ci_tests_passed", "level": "required", "passed": True, "sentence": ""}]
    )
    policy = factory.SubFactory(PolicyFactory)
    policy_version = factory.SelfAttribute("policy.version")
    computed_at = factory.LazyFunction(timezone.now)


class GapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Gap

    code = Gap.Code.SERVICE_NO_OWNER
    severity = Gap.Severity.HIGH
    service = factory.SubFactory(ServiceFactory, owner_team=None)
    sentence = factory.LazyAttribute(lambda g: f"{g.service.name} has no owner team.")
    first_seen = factory.LazyFunction(timezone.now)
    last_seen = factory.LazyFunction(timezone.now)


class MetricSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricSnapshot

    scope = MetricSnapshot.Scope.ORGANISATION
    period_start = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    period_end = factory.LazyFunction(timezone.now)
    ai_level = "all"
    deployments = 0
    deploys_per_week = 0.0
    computed_at = factory.LazyFunction(timezone.now)


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token row; tests that call the API create theirs with `token_create`, which returns the secret."""

    class Meta:
        model = ApiToken

    name = factory.Sequence(lambda n: f"ci-{n}")
    prefix = factory.Sequence(lambda n: f"{n:08x}")
    token_hash = factory.Sequence(lambda n: hashlib.sha256(f"token{n}".encode()).hexdigest())
    scopes = factory.LazyFunction(lambda: [ApiToken.Scope.READ])


class GateDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GateDecision

    change = factory.SubFactory(ChangeFactory)
    service = factory.SelfAttribute("change.service")
    service_slug = factory.SelfAttribute("change.service.slug")
    sha = factory.SelfAttribute("change.sha")
    environment = "production"
    decision = GateDecision.Outcome.ALLOW
    controls = factory.LazyFunction(
        lambda: [{"code": "ci_tests_passed", "level": "required", "passed": True, "sentence": ""}]
    )
    requested_by = "api:ci"
    at = factory.LazyFunction(timezone.now)


class ProtectionRuleRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProtectionRuleRequest

    repository = "acme/payments-api"
    environment_name = "production"
    environment = "production"
    sha = factory.Sequence(fake_sha)
    callback_url = "https://api.github.com/repos/acme/payments-api/actions/runs/1/deployment_protection_rule"
    requested_at = factory.LazyFunction(timezone.now)


class EnvironmentMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnvironmentMapping

    pattern = factory.Sequence(lambda n: f"preview-{n}-*")
    environment = EnvironmentMapping.Kind.EPHEMERAL


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    key = factory.Sequence(lambda n: f"incident:{n}:top:none:email:team@example.com")
    trigger = Notification.Trigger.INCIDENT
    channel = Notification.Channel.EMAIL
    recipient = "team@example.com"
    subject = "Incident: checkout errors"
    body = "Payments API: owner of record Jane Doe"
    next_attempt_at = factory.LazyFunction(timezone.now)


class NotificationSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationSettings

    person = factory.SubFactory(PersonFactory)


class PagerDutyIntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PagerDutyIntegration

    service = factory.SubFactory(ServiceFactory)
    routing_key = "737ea619db564d41bd9824063e1f6b08"


class ProviderIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderIdentity

    user = factory.SubFactory(UserFactory)
    issuer = "http://127.0.0.1:18200"
    subject = factory.Sequence(lambda n: f"subject-{n}")


class SignedInSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SignedInSession

    user = factory.SubFactory(UserFactory)
    session_key = factory.Sequence(lambda n: f"session{n:032d}")


def user_with_role(role: str, *, username: str = "", person: Person | None = None, **kwargs):
    """A user in the Django group named after the role (viewer, owner, commander, admin), optionally
    linked to the catalog person they are."""
    from django.contrib.auth.models import Group

    user = UserFactory(username=username or role, **kwargs)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    if person is not None:
        person.user = user
        person.save(update_fields=["user"])
    return user
