"""A redelivery can never become a second Delivery row: the database refuses it."""

import pytest
from django.db import IntegrityError, transaction

from accountability.ingest.models import Delivery
from tests.factories import DeliveryFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_the_same_delivery_id_twice_from_a_source():
    delivery = DeliveryFactory(external_id="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryFactory(source=delivery.source, external_id="72d3162e-cc78-11e3-81ab-4c9367dc0958")


def test_it_allows_the_same_delivery_id_from_another_source():
    DeliveryFactory(external_id="1")
    DeliveryFactory(external_id="1", source=SourceFactory())
    assert Delivery.objects.filter(external_id="1").count() == 2


def test_it_refuses_two_sources_with_the_same_name():
    SourceFactory(name="github-main")
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFactory(name="github-main")
