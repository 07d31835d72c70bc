"""PagerDuty snapshots the pull job stores (pull.py): on-call shifts and service ids, sent by no webhook."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from accountability.catalog.models import OnCallShift, Person, RecordSource, Service, Team
from accountability.ingest.errors import DeliveryIgnored, PayloadError
from accountability.ingest.models import PULLED_HEADER, Delivery


def _moment(value, field: str) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{field} is not a timestamp: {value!r}") from None


def _person(user: dict) -> Person:
    """The person a PagerDuty user is: by PagerDuty id, else by e-mail (then linked), else a new person."""
    user_id, email = str(user.get("id", ""))[:64], str(user.get("email") or "")[:254]
    person = Person.objects.filter(pagerduty_user_id=user_id).first()
    if person is None and email:
        person = Person.objects.filter(email__iexact=email).first()
    if person is None:
        person = Person(
            name=str(user.get("name") or user.get("summary") or user_id)[:200],
            email=email,
            record_source=RecordSource.PAGERDUTY,
        )
    if not person.pagerduty_user_id:
        person.pagerduty_user_id = user_id
    person.save()
    return person


def oncalls_apply(*, data: dict) -> str:
    """Replace the PagerDuty on-call shifts in the snapshot's window with the snapshot's.

    1. Each on-call entry names a user, an escalation level, a schedule (or none for a direct escalation
       policy rule) and its start/end; the team is the one whose schedule or escalation policy id matches.
    2. Shifts from PagerDuty overlapping the window and absent from the snapshot are removed (a swapped
       shift), the others upserted on (team, schedule, level, person, start).
    """
    since, until = _moment(data.get("since"), "since"), _moment(data.get("until"), "until")
    oncalls = data.get("oncalls")
    if not isinstance(oncalls, list):
        raise PayloadError("oncalls must be a list")
    teams_by_schedule = {t.pagerduty_schedule_id: t for t in Team.objects.exclude(pagerduty_schedule_id="")}
    teams_by_policy = {
        t.pagerduty_escalation_policy_id: t for t in Team.objects.exclude(pagerduty_escalation_policy_id="")
    }
    kept = []
    with transaction.atomic():
        for entry in oncalls:
            if not isinstance(entry, dict) or not isinstance(entry.get("user"), dict):
                continue
            schedule_id = str((entry.get("schedule") or {}).get("id") or "")
            policy_id = str((entry.get("escalation_policy") or {}).get("id") or "")
            team = teams_by_schedule.get(schedule_id) or teams_by_policy.get(policy_id)
            # An on-call with no start/end is "always on call" for a policy rule: it covers the whole window.
            start = _moment(entry["start"], "oncalls.start") if entry.get("start") else since
            end = _moment(entry["end"], "oncalls.end") if entry.get("end") else until
            if end <= start:
                continue
            shift, _ = OnCallShift.objects.update_or_create(
                team=team,
                schedule_id=schedule_id or policy_id,
                escalation_level=int(entry.get("escalation_level") or 1),
                person=_person(entry["user"]),
                start=start,
                defaults={"end": end, "record_source": RecordSource.PAGERDUTY},
            )
            kept.append(shift.pk)
        OnCallShift.objects.filter(
            record_source=RecordSource.PAGERDUTY, end__gt=since, start__lt=until
        ).exclude(pk__in=kept).delete()
    return "processed"


def services_apply(*, data: dict) -> str:
    """Link PagerDuty services to ours: by PagerDuty id, else by name or slug; note the team's policy id."""
    services = data.get("services")
    if not isinstance(services, list):
        raise PayloadError("services must be a list")
    for entry in services:
        if not isinstance(entry, dict) or not entry.get("id"):
            continue
        pd_id, name = str(entry["id"]), str(entry.get("name") or entry.get("summary") or "")
        service = Service.objects.filter(pagerduty_service_id=pd_id).first() or (
            Service.objects.filter(
                Q(name__iexact=name) | Q(slug=slugify(name)), pagerduty_service_id=""
            ).first()
            if name
            else None
        )
        if service is None:
            continue
        if not service.pagerduty_service_id:
            service.pagerduty_service_id = pd_id
            service.save(update_fields=["pagerduty_service_id"])
        policy_id = str((entry.get("escalation_policy") or {}).get("id") or "")
        team = service.owner_team
        if team is not None and policy_id and not team.pagerduty_escalation_policy_id:
            team.pagerduty_escalation_policy_id = policy_id
            team.save(update_fields=["pagerduty_escalation_policy_id"])
    return "processed"


def _pulled_only(apply):
    """On-calls and services exist only in the REST API; the pull job stores them as snapshots. The same
    shape signed to the webhook would let whoever holds the webhook secret rewrite the rota."""

    def handler(*, delivery: Delivery, payload) -> str:
        if delivery.headers.get(PULLED_HEADER) != "1":
            raise DeliveryIgnored(
                f"PagerDuty {payload.resource_type} come only from the REST pull, never from a webhook"
            )
        return apply(data=payload.data)

    return handler


oncalls_snapshot_apply = _pulled_only(oncalls_apply)
services_snapshot_apply = _pulled_only(services_apply)
