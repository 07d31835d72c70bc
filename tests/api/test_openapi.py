import pytest

pytestmark = pytest.mark.django_db


def test_it_publishes_the_openapi_document_without_login(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/changes",
        "/api/v1/changes/{service}/{sha}/evidence",
        "/api/v1/changes/{service}/{sha}/rollback-rehearsals",
    } <= set(paths)
    assert response.json()["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_it_serves_the_interactive_docs_from_our_own_static_files(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"swagger-ui-bundle.js" in response.content
    assert b"cdn." not in response.content
