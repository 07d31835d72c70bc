from django.db import migrations

# Every GitHub delivery finds its service by repository, case-insensitively (GitHub names are). Without an
# index that is a scan of every service per delivery (~15 ms at 10,000 services); a GIN index over the
# lower-cased repository names makes it an index lookup. The function must be IMMUTABLE to be indexable.
FORWARD = """
CREATE FUNCTION catalog_lower_array(text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT coalesce(array_agg(lower(item)), '{}') FROM unnest($1) AS item $$;
CREATE INDEX catalog_service_repositories_lower
    ON catalog_service USING gin (catalog_lower_array(repositories::text[]));
"""

BACKWARD = """
DROP INDEX catalog_service_repositories_lower;
DROP FUNCTION catalog_lower_array(text[]);
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
