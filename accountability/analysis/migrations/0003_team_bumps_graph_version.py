from django.db import migrations

# The in-memory graph also carries each team's slug and name (a blast radius lists the owning teams
# without a query), so a team write must make every process rebuild it, like a dependency write.
FORWARD = """
CREATE TRIGGER team_bumps_graph_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON catalog_team
    FOR EACH STATEMENT EXECUTE FUNCTION analysis_graph_version_bump();
"""

BACKWARD = "DROP TRIGGER team_bumps_graph_version ON catalog_team;"


class Migration(migrations.Migration):
    dependencies = [("analysis", "0002_graph_version_trigger")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
