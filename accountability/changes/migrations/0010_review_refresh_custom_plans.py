from django.db import migrations

# change_review_refresh (0005) runs one UPDATE over the changes it is given. PL/pgSQL caches that statement's
# plan per session, and after five calls keeps a generic plan made with the statistics of that moment. A
# session that started on near-empty tables (a fresh install, the demo seeding its history in one
# transaction, where no autovacuum can analyze rows not yet committed) kept a plan of sequential scans that
# made each sign-off's insert take ~0.3 s once the tables had thousands of rows (CI, 2026-12-02: one test's
# demo seeding spent two minutes in it). Planned at each call, the statement uses the tables' current size.
FORWARD = "ALTER FUNCTION change_review_refresh(bigint[]) SET plan_cache_mode = force_custom_plan;"
BACKWARD = "ALTER FUNCTION change_review_refresh(bigint[]) RESET plan_cache_mode;"


class Migration(migrations.Migration):
    dependencies = [("changes", "0009_signoff_auth")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
