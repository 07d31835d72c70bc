from django.db import migrations

# The sign-off ledger is append-only in the database as well as in code: whatever path a write takes
# (ORM, admin, raw SQL), UPDATE and DELETE of a sign-off are refused. TRUNCATE stays allowed: it is
# an owner-level maintenance operation (and how the test suite resets its database).
FORWARD = """
CREATE FUNCTION signoff_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the sign-off ledger is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER signoff_append_only
    BEFORE UPDATE OR DELETE ON changes_signoff
    FOR EACH ROW EXECUTE FUNCTION signoff_refuse_change();
"""

BACKWARD = """
DROP TRIGGER signoff_append_only ON changes_signoff;
DROP FUNCTION signoff_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("changes", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
