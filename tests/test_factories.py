"""Every model has a factory (STYLE.md), and every factory builds a row the model's own validation accepts."""

import inspect

import factory
import pytest
from django.apps import apps

from tests import factories

# Rows the database maintains itself (a trigger bumps the graph version), or that only the ledger writes
# (a checkpoint signs the chain's head on each append): nothing creates them by hand.
MAINTAINED_BY_THE_DATABASE = {"analysis.GraphVersion", "audit.LedgerCheckpoint"}

FACTORIES = [
    value
    for value in vars(factories).values()
    if inspect.isclass(value)
    and issubclass(value, factory.django.DjangoModelFactory)
    and value is not factory.django.DjangoModelFactory
]


def test_every_model_of_ours_has_a_factory():
    covered = {f._meta.model._meta.label for f in FACTORIES}
    ours = {
        model._meta.label
        for model in apps.get_models()
        if model.__module__.startswith("accountability.") and not model._meta.auto_created
    }
    assert ours - covered - MAINTAINED_BY_THE_DATABASE == set()


@pytest.mark.django_db
@pytest.mark.parametrize("model_factory", FACTORIES, ids=lambda f: f.__name__)
def test_it_builds_a_valid_row(model_factory):
    row = model_factory()
    row.full_clean()
    assert type(row).objects.filter(pk=row.pk).exists()
