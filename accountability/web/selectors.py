from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from accountability.catalog.models import OnCallShift, Service, Team
from accountability.changes.models import Change, Deployment, Environment
from accountability.incidents.models import Incident


def home_counts() -> dict[str, int]:
    """The live figures of the home page, in five queries whatever the organisation's size."""
    now = timezone.now()
    week_ago = now - timedelta(days=7)
    return {
        "services": Service.objects.count(),
        "teams": Team.objects.count(),
        "changes_deployed_7d": Change.objects.filter(
            deployments__environment=Environment.PRODUCTION,
            deployments__status=Deployment.Status.SUCCEEDED,
            deployments__finished_at__gte=week_ago,
        )
        .distinct()
        .count(),
        "open_incidents": Incident.objects.exclude(status=Incident.Status.RESOLVED).count(),
        "on_call_now": OnCallShift.objects.filter(start__lte=now, end__gt=now).aggregate(
            n=Count("person", distinct=True, filter=Q(person__is_active=True))
        )["n"],
    }
