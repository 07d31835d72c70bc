"""The ready-to-copy workflow of docs/ci.md stays in step with the API it calls."""

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.django_db

WORKFLOW = Path(__file__).resolve().parents[2] / "docs/examples/accountability.yml"


def test_it_calls_only_endpoints_the_api_documents_with_the_scopes_it_asks_for(client):
    workflow = yaml.safe_load(WORKFLOW.read_text())
    scripts = "\n".join(step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"])
    called = {re.sub(r"\$\w+", "{}", path) for path in re.findall(r'-X POST "\$API(/[^"]+)"', scripts)}
    documented = {
        re.sub(r"\{\w+\}", "{}", path.removeprefix("/api/v1")): methods
        for path, methods in client.get("/api/v1/openapi.json").json()["paths"].items()
    }

    assert called == {"/changes", "/changes/{}/{}/evidence", "/gate"}
    assert all("post" in documented[path] for path in called)
    assert "--scopes changes:write,evidence:write,gate" in WORKFLOW.read_text()
