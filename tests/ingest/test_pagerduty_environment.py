"""A PagerDuty service mapped to a service's staging environment opens a staging incident of that service
(issue 15: every PagerDuty incident was production)."""

import json

import pytest

from accountability.incidents.models import Incident
from accountability.ingest.models import Source
from tests.factories import ServiceFactory, SourceFactory
from tests.ingest.conftest import deliver, fixture_json

pytestmark = pytest.mark.django_db

WEBHOOK = "pagerduty/developer-docs/webhooks-v3/wh-02-payload-incident.priority_updated.json"


def test_an_incident_of_a_staging_pagerduty_service_is_a_staging_incident_of_its_service():
    source = SourceFactory(kind=Source.Kind.PAGERDUTY)
    api = ServiceFactory(pagerduty_service_id="PPROD", pagerduty_environments={"PF9KMXH": "staging"})

    deliver(source, json.dumps(fixture_json(WEBHOOK)).encode(), headers={}, external_id="1")

    incident = Incident.objects.get()
    assert (incident.environment, list(incident.services.all())) == ("staging", [api])


def test_an_incident_of_the_production_pagerduty_service_stays_production():
    source = SourceFactory(kind=Source.Kind.PAGERDUTY)
    api = ServiceFactory(pagerduty_service_id="PF9KMXH", pagerduty_environments={"PSTG": "staging"})

    deliver(source, json.dumps(fixture_json(WEBHOOK)).encode(), headers={}, external_id="1")

    incident = Incident.objects.get()
    assert (incident.environment, list(incident.services.all())) == ("production", [api])
