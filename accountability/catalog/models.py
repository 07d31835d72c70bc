import re

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class RecordSource(models.TextChoices):
    MANUAL = "manual"
    BACKSTAGE = "backstage"
    PAGERDUTY = "pagerduty"
    CODEOWNERS = "codeowners"
    DEMO = "demo"


class Team(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    email = models.EmailField(blank=True)
    chat_channel = models.CharField(max_length=200, blank=True)
    escalation_contact = models.CharField(max_length=200, blank=True)
    pagerduty_schedule_id = models.CharField(max_length=64, blank=True)
    pagerduty_escalation_policy_id = models.CharField(max_length=64, blank=True)
    record_source = models.CharField(max_length=20, choices=RecordSource.choices, default=RecordSource.MANUAL)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# A GitHub login's characters (letters, digits, hyphens; managed users add `_shortcode`). A handle with any
# other character cannot be a login, so `id.<pk>` never names somebody else.
LOGIN_HANDLE = re.compile(r"[A-Za-z0-9_-]{1,100}")


def person_handle(*, pk: int, github_login: str) -> str:
    """A person's address on the dashboard (/people/<handle>/): their GitHub login, else `id.<pk>`."""
    if LOGIN_HANDLE.fullmatch(github_login or ""):
        return github_login.lower()
    return f"id.{pk}"


class Person(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    github_login = models.CharField(max_length=100, blank=True)
    pagerduty_user_id = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True)
    departed_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    teams = models.ManyToManyField(Team, through="Membership", related_name="people")
    record_source = models.CharField(max_length=20, choices=RecordSource.choices, default=RecordSource.MANUAL)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        constraints = [
            # Handles identify a person across sources, so each may belong to one person only.
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="person_unique_email"),
            models.UniqueConstraint(
                Lower("github_login"), condition=~Q(github_login=""), name="person_unique_github_login"
            ),
            models.UniqueConstraint(
                "pagerduty_user_id", condition=~Q(pagerduty_user_id=""), name="person_unique_pagerduty_user"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def handle(self) -> str:
        return person_handle(pk=self.pk, github_login=self.github_login)


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member"
        LEAD = "lead"
        MANAGER = "manager"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "team"], name="membership_unique_person_team")
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.team} ({self.role})"


class Service(models.Model):
    class Lifecycle(models.TextChoices):
        EXPERIMENTAL = "experimental"
        PRODUCTION = "production"
        DEPRECATED = "deprecated"

    class Kind(models.TextChoices):
        SERVICE = "service"
        DATASTORE = "datastore"
        LIBRARY = "library"
        WEBSITE = "website"

    class DataSensitivity(models.TextChoices):
        NONE = "none"
        INTERNAL = "internal"
        PERSONAL = "personal"
        PAYMENTS = "payments"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SERVICE)
    tier = models.PositiveSmallIntegerField(default=3, help_text="1 = most critical … 4")
    lifecycle = models.CharField(max_length=20, choices=Lifecycle.choices, default=Lifecycle.PRODUCTION)
    customer_facing = models.BooleanField(default=False)
    data_sensitivity = models.CharField(
        max_length=20, choices=DataSensitivity.choices, default=DataSensitivity.NONE
    )
    system = models.CharField(max_length=200, blank=True)
    owner_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    owner_of_record = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_services"
    )
    runbook_url = models.URLField(blank=True)
    repositories = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    pagerduty_service_id = models.CharField(max_length=64, blank=True)
    pagerduty_environments = models.JSONField(
        default=dict,
        db_default=models.Value({}, output_field=models.JSONField()),  # bulk COPY and raw inserts
        blank=True,
        help_text='Other PagerDuty services alerting for this service, by id: {"PSTG123": "staging"}; '
        "`pagerduty_service_id` is production's",
    )
    # False until some source has told us what this service depends on: an empty edge list then
    # means "unknown", not "depends on nothing".
    dependencies_known = models.BooleanField(default=False)
    record_source = models.CharField(max_length=20, choices=RecordSource.choices, default=RecordSource.MANUAL)
    ownership_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__gte=1, tier__lte=4), name="service_tier_1_to_4"),
            models.UniqueConstraint(
                "pagerduty_service_id",
                condition=~Q(pagerduty_service_id=""),
                name="service_unique_pagerduty_id",
            ),
        ]
        indexes = [models.Index(fields=["owner_team"]), models.Index(fields=["tier"])]

    def __str__(self) -> str:
        return self.name


class Dependency(models.Model):
    """`from_service` depends on `to_service`: if `to_service` misbehaves, `from_service` can break."""

    class Kind(models.TextChoices):
        SYNC = "sync", "sync call"
        ASYNC = "async", "async / queue"
        DATASTORE = "datastore"
        LIBRARY = "library"

    class Criticality(models.TextChoices):
        HARD = "hard"
        SOFT = "soft"

    from_service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependencies")
    to_service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependents")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SYNC)
    criticality = models.CharField(max_length=10, choices=Criticality.choices, default=Criticality.HARD)
    record_source = models.CharField(max_length=20, choices=RecordSource.choices, default=RecordSource.MANUAL)

    class Meta:
        verbose_name_plural = "dependencies"
        constraints = [
            models.UniqueConstraint(fields=["from_service", "to_service"], name="dependency_unique_edge"),
        ]
        indexes = [models.Index(fields=["to_service"])]

    def __str__(self) -> str:
        return f"{self.from_service} → {self.to_service} ({self.kind}, {self.criticality})"


class OnCallShift(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="shifts")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="shifts")
    schedule_id = models.CharField(max_length=64, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=1)
    start = models.DateTimeField()
    end = models.DateTimeField()
    record_source = models.CharField(max_length=20, choices=RecordSource.choices, default=RecordSource.MANUAL)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="oncall_ends_after_start"),
            # The same person cannot be imported twice into the same slot of the same rota.
            models.UniqueConstraint(
                fields=["team", "schedule_id", "escalation_level", "person", "start"],
                name="oncall_unique_slot",
            ),
        ]
        indexes = [models.Index(fields=["team", "start", "end"]), models.Index(fields=["start", "end"])]

    def __str__(self) -> str:
        return f"{self.person} on call {self.start:%Y-%m-%d %H:%M} → {self.end:%Y-%m-%d %H:%M}"


class PathOwner(models.Model):
    """One CODEOWNERS rule. Rules of a repository are matched in `line` order; the last match wins."""

    repository = models.CharField(max_length=200)
    pattern = models.CharField(max_length=500)
    owners = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    line = models.PositiveIntegerField()
    record_source = models.CharField(
        max_length=20, choices=RecordSource.choices, default=RecordSource.CODEOWNERS
    )

    class Meta:
        ordering = ["repository", "line"]
        constraints = [models.UniqueConstraint(fields=["repository", "line"], name="pathowner_unique_line")]

    def __str__(self) -> str:
        return f"{self.repository}:{self.pattern} → {' '.join(self.owners)}"


class EnvironmentMapping(models.Model):
    """What a deployment environment's name means (DESIGN §4): controls apply by this class, not by the name.

    A name no mapping covers is treated as production (catalog/environments.py) until an admin maps it, so a
    new spelling of production (`prd`, `live-eu`, `main`) can never skip the policy.
    """

    class Kind(models.TextChoices):
        PRODUCTION = "production"
        STAGING = "staging"
        DEVELOPMENT = "development"
        EPHEMERAL = "ephemeral"

    pattern = models.CharField(
        max_length=100,
        help_text="An environment name, or a pattern with * and ? (`staging-*`, `pr-*`); case is ignored",
    )
    environment = models.CharField(max_length=20, choices=Kind.choices)
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pattern"]
        constraints = [models.UniqueConstraint(Lower("pattern"), name="environmentmapping_unique_pattern")]

    def __str__(self) -> str:
        return f"{self.pattern} → {self.environment}"
