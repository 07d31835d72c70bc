"""A pull job connects to the address it checked: a DNS answer that changes between the check and the
connection (rebinding) cannot take the source's token to an internal host (issue 14)."""

import socket

import pytest
import urllib3.util.connection

from accountability.ingest.pull_http import PullError, PullSession

PUBLIC = "93.184.216.34"  # a global address: the check lets it through


@pytest.fixture
def rebinding_dns(monkeypatch):
    """`rebind.example` resolves to a public address the first time, to 127.0.0.1 (our internal test
    server) every time after, as an attacker's DNS server with a zero TTL would answer."""
    answers = iter([PUBLIC])
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "rebind.example":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def connections(monkeypatch):
    """Every address a connection is opened to; the public one is unreachable from here (no internet)."""
    opened, real = [], urllib3.util.connection.create_connection

    def create_connection(address, *args, **kwargs):
        opened.append(address[0])
        if address[0] == PUBLIC:
            raise OSError("network is unreachable (test)")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return opened


def test_a_second_dns_answer_never_reaches_the_internal_host(
    settings, httpserver, rebinding_dns, connections
):
    settings.PULL_ALLOWED_HOSTS = set()
    httpserver.expect_request("/orgs/acme/repos").respond_with_json([{"name": "internal-secrets"}])
    session = PullSession(headers={"Authorization": "token s3cret-token"}, attempts=1)

    with pytest.raises(PullError, match="failed"):
        session.get(f"http://rebind.example:{httpserver.port}/orgs/acme/repos")

    assert connections == [PUBLIC]
    assert httpserver.log == []  # the internal server never saw the request, nor the token


def test_an_allowed_host_is_reached_as_before(settings, httpserver, connections):
    settings.PULL_ALLOWED_HOSTS = {"127.0.0.1"}
    httpserver.expect_request("/orgs/acme/repos").respond_with_json([{"name": "payments"}])

    data = PullSession(headers={}, attempts=1).json(f"http://127.0.0.1:{httpserver.port}/orgs/acme/repos")

    assert data == [{"name": "payments"}]
    assert connections == ["127.0.0.1"]
