import json
import re

import pytest

pytestmark = pytest.mark.django_db


def test_it_serves_interactive_docs_that_load_nothing_from_outside(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", html)
    settings = json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1))
    assert settings["url"] == "/api/v1/openapi.json"
    assert settings["validatorUrl"] is None
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_it_documents_every_area_and_the_bearer_scheme(client):
    document = client.get("/api/v1/openapi.json").json()

    assert {
        "/api/v1/changes",
        "/api/v1/changes/{change_id}",
        "/api/v1/services",
        "/api/v1/services/{slug}",
        "/api/v1/owners",
        "/api/v1/incidents",
        "/api/v1/incidents/{incident_id}",
        "/api/v1/gaps",
        "/api/v1/metrics",
        "/api/v1/gate",
    } <= set(document["paths"])
    assert set(document["paths"]["/api/v1/changes"]) == {"get", "post"}
    scheme = document["components"]["securitySchemes"]["TokenAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
