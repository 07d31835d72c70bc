"""htmx requests show progress and drop stale ones: each swapped region is its own indicator (dimmed while
`htmx-request`, `aria-busy` set by app.js) and `hx-sync="this:replace"` cancels an older request."""

import re

import pytest

from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(user_with_role("viewer", username="manager"))
    return client


@pytest.mark.parametrize(
    ("path", "region"),
    [
        ("/review/", "#review-table"),
        ("/review/metrics/", "#metrics"),
        ("/review/gaps/?team=-", "#gaps-panel"),
        ("/search/", "#results"),
    ],
)
def test_every_swapping_control_names_its_indicator_and_drops_stale_requests(manager_client, path, region):
    body = manager_client.get(path).content.decode()

    # On the control itself, or on the region its controls inherit from (htmx 2 inherits both).
    tags = re.findall(r"<[^>]*>", body)
    assert any("hx-get=" in tag for tag in tags), path
    assert any(f'hx-indicator="{region}"' in tag and 'hx-sync="this:replace"' in tag for tag in tags)


def test_the_stylesheet_dims_a_busy_region_and_the_script_marks_it(client):
    from pathlib import Path

    static = Path(__file__).resolve().parents[2] / "static"
    css = (static / "css" / "app.css").read_text()
    js = (static / "js" / "app.js").read_text()
    assert '[aria-busy="true"]' in css and "opacity: .5" in css
    assert 'setAttribute("aria-busy", "true")' in js and 'removeAttribute("aria-busy")' in js
