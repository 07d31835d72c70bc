import pytest

from tests.factories import DeliveryFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_it_reports_the_state_of_an_intake_delivery(ci_client):
    delivery = DeliveryFactory(
        source=SourceFactory(name="ci-api", kind="api"),
        event_type="change.registered",
        status="failed",
        error="no service 'x'",
    )

    response = ci_client.get(f"/api/v1/deliveries/{delivery.id}")

    assert response.status_code == 200
    body = response.json()
    assert (body["delivery_id"], body["status"], body["error"]) == (delivery.id, "failed", "no service 'x'")


def test_it_does_not_show_deliveries_of_other_sources(ci_client):
    delivery = DeliveryFactory()

    assert ci_client.get(f"/api/v1/deliveries/{delivery.id}").status_code == 404


def test_it_needs_a_token(client):
    assert client.get("/api/v1/deliveries/1").status_code == 401


def test_it_answers_404_for_an_id_beyond_any_row(ci_client):
    assert ci_client.get("/api/v1/deliveries/99999999999999999999999").status_code == 404
