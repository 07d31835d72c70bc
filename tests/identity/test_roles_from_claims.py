"""The provider's groups claim gives roles; the mapping is configured, and exact."""

from accountability.identity.claims import roles_from_claims

GROUPS = {
    "viewer": ["staff"],
    "owner": ["payments-engineers", "platform-engineers"],
    "commander": ["incident-commanders"],
    "admin": ["/accountability-admins"],
}


def roles(claims: dict, claim: str = "groups") -> set[str]:
    return roles_from_claims(claims, claim=claim, role_groups=GROUPS)


def test_it_gives_the_role_of_each_configured_group():
    assert roles({"groups": ["payments-engineers", "incident-commanders"]}) == {
        "viewer",
        "owner",
        "commander",
    }


def test_any_of_several_groups_gives_a_role():
    assert roles({"groups": ["platform-engineers"]}) == {"viewer", "owner"}


def test_everyone_signed_in_reads_like_a_viewer():
    assert roles({"groups": []}) == {"viewer"}
    assert roles({}) == {"viewer"}


def test_it_ignores_groups_it_does_not_know():
    assert roles({"groups": ["payments-engineers-alumni", "owners"]}) == {"viewer"}


def test_names_compare_exactly_so_a_keycloak_path_must_be_configured_as_a_path():
    assert roles({"groups": ["accountability-admins"]}) == {"viewer"}
    assert roles({"groups": ["/accountability-admins"]}) == {"viewer", "admin"}


def test_it_reads_a_claim_sent_as_one_string():
    assert roles({"roles": "payments-engineers incident-commanders"}, claim="roles") == {
        "viewer",
        "owner",
        "commander",
    }


def test_it_reads_the_configured_claim_only():
    assert roles({"groups": ["payments-engineers"]}, claim="roles") == {"viewer"}
