from django.db import migrations

# Every write that changes the dependency graph bumps analysis_graphversion, so each process can tell
# with one tiny query whether its in-memory graph is stale, whatever path the write took (ORM, bulk
# COPY, admin, raw SQL). The row update is transactional: readers see the new version only once the
# write is committed, so a rebuild never reads a graph older than the version it records. Values come
# from a standalone sequence so they never repeat, even after the table is truncated (as tests do).
FORWARD = """
CREATE SEQUENCE analysis_graph_version_seq;
CREATE FUNCTION analysis_graph_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analysis_graphversion (id, version, changed_at)
        VALUES (1, nextval('analysis_graph_version_seq'), now())
        ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END;
$$;
CREATE TRIGGER dependency_bumps_graph_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON catalog_dependency
    FOR EACH STATEMENT EXECUTE FUNCTION analysis_graph_version_bump();
CREATE TRIGGER service_insert_delete_bumps_graph_version
    AFTER INSERT OR DELETE OR TRUNCATE ON catalog_service
    FOR EACH STATEMENT EXECUTE FUNCTION analysis_graph_version_bump();
CREATE TRIGGER service_update_bumps_graph_version
    AFTER UPDATE ON catalog_service
    FOR EACH ROW
    WHEN (OLD.tier IS DISTINCT FROM NEW.tier
          OR OLD.kind IS DISTINCT FROM NEW.kind
          OR OLD.slug IS DISTINCT FROM NEW.slug
          OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.customer_facing IS DISTINCT FROM NEW.customer_facing
          OR OLD.data_sensitivity IS DISTINCT FROM NEW.data_sensitivity
          OR OLD.dependencies_known IS DISTINCT FROM NEW.dependencies_known
          OR OLD.owner_team_id IS DISTINCT FROM NEW.owner_team_id)
    EXECUTE FUNCTION analysis_graph_version_bump();
"""

BACKWARD = """
DROP TRIGGER service_update_bumps_graph_version ON catalog_service;
DROP TRIGGER service_insert_delete_bumps_graph_version ON catalog_service;
DROP TRIGGER dependency_bumps_graph_version ON catalog_dependency;
DROP FUNCTION analysis_graph_version_bump();
DROP SEQUENCE analysis_graph_version_seq;
"""


class Migration(migrations.Migration):
    dependencies = [("analysis", "0001_analysis_results"), ("catalog", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
