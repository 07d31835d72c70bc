"""The database itself refuses duplicate incidents, timeline entries and suspects."""

import pytest
from django.db import IntegrityError, transaction

from accountability.incidents.models import Incident
from tests.factories import IncidentEventFactory, IncidentFactory, SuspectChangeFactory

pytestmark = pytest.mark.django_db


def refused(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)
    return True


def test_it_refuses_the_same_incident_from_the_same_source_twice():
    IncidentFactory(source="pagerduty", external_id="PGR0VU2")
    assert refused(IncidentFactory, source="pagerduty", external_id="PGR0VU2")


def test_it_allows_the_same_external_id_from_another_source():
    IncidentFactory(source="pagerduty", external_id="42")
    IncidentFactory(source="cdevents", external_id="42")
    assert Incident.objects.filter(external_id="42").count() == 2


def test_it_refuses_the_same_timeline_event_twice():
    event = IncidentEventFactory(external_id="01DEN1HNLBC1VITK192ETYXZ3A")
    assert refused(IncidentEventFactory, incident=event.incident, external_id="01DEN1HNLBC1VITK192ETYXZ3A")


def test_it_refuses_the_same_change_suspected_twice_for_an_incident():
    suspect = SuspectChangeFactory()
    assert refused(SuspectChangeFactory, incident=suspect.incident, change=suspect.change)
