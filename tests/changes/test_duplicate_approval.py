import pytest

from accountability.changes.ledger import SignOffRefused, approval_in_force, signoff_append
from accountability.changes.models import SignOff
from tests.factories import ChangeFactory, PersonFactory


@pytest.fixture
def change(db):
    return ChangeFactory()


@pytest.fixture
def owner(db):
    return PersonFactory(name="Olivia Owner")


def test_it_refuses_a_second_approval_while_the_first_is_in_force(change, owner):
    first = signoff_append(change=change, signer=owner, decision="approve")

    with pytest.raises(SignOffRefused, match="already has an approval in force"):
        signoff_append(change=change, signer=owner, decision="approve")

    assert list(SignOff.objects.filter(change=change)) == [first]


def test_it_accepts_a_new_approval_after_the_first_is_revoked(change, owner):
    first = signoff_append(change=change, signer=owner, decision="approve")
    signoff_append(change=change, signer=owner, decision="revoke", revokes=first, note="wrong sha")

    second = signoff_append(change=change, signer=owner, decision="approve")

    assert approval_in_force(change=change, signer=owner) == second


def test_another_signer_may_still_approve(change, owner):
    signoff_append(change=change, signer=owner, decision="approve")
    other = PersonFactory(name="Tess Teammate")

    signoff_append(change=change, signer=other, decision="approve")

    assert SignOff.objects.filter(change=change, decision="approve").count() == 2


def test_a_rejection_after_an_approval_is_still_accepted(change, owner):
    signoff_append(change=change, signer=owner, decision="approve")

    signoff_append(change=change, signer=owner, decision="reject", note="found a bug")

    assert SignOff.objects.filter(change=change).count() == 2
