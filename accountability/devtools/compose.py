"""What docker-compose.yml runs, for the tests and the bench that must run the same (Docker is not here)."""

import re
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings


@cache
def compose() -> dict:
    return yaml.safe_load((Path(settings.BASE_DIR) / "docker-compose.yml").read_text())


def gunicorn_arguments(service: str) -> list[str]:
    """The service's gunicorn command (application and options) without its program and bind address."""
    command = list(compose()["services"][service]["command"])
    if command[0] != "gunicorn":
        raise ValueError(f"compose's {service} does not run gunicorn: {command}")
    arguments = command[1:]
    at = arguments.index("--bind")
    del arguments[at : at + 2]
    return arguments


def app_environment_default(name: str) -> str:
    """The value compose's application services get for `name` when the operator's .env says nothing:
    `${NAME:-default}` gives its default, a literal itself."""
    value = str(compose()["x-app"]["environment"][name])
    match = re.fullmatch(r"\$\{\w+:-(.*)\}", value)
    return match.group(1) if match else value
