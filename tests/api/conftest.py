import pytest

from accountability.api.tokens import token_create


@pytest.fixture
def make_token(db):
    def make(*scopes: str, name: str | None = None) -> str:
        _, raw = token_create(name=name or f"ci-{'-'.join(scopes) or 'none'}", scopes=list(scopes))
        return raw

    return make


@pytest.fixture
def ci_client(client, make_token):
    """A test client whose requests carry a token with every write scope."""
    raw = make_token("read", "changes:write", "evidence:write")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client
