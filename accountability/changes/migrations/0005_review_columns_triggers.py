from django.db import migrations

# The risk review's columns on changes_change (risk_score, blast_score, service_tier, ai_level,
# ai_share, approved, last_decision, last_signer) are copies. Triggers keep them true whatever path a
# write takes — the ORM, the analysis jobs' COPY upserts, the bench's COPY, the admin, raw SQL — so no
# writer has to remember them:
#
# - change_review_refresh(ids) recomputes them from the rows they copy. It first locks the changes
#   (in id order, so two refreshes cannot deadlock on each other), then reads with a snapshot taken
#   after the lock: two transactions writing different sources of one change (a risk score, a
#   sign-off) cannot each overwrite the other's contribution with what they saw before it committed.
# - statement-level triggers on each source table call it once per statement with the changes the
#   statement touched (transition tables), so a bulk upsert of 27,000 risk scores is one UPDATE.
# - a row trigger on changes_change keeps Django from writing them: a model instance loaded before
#   a refresh and saved after it would otherwise write its stale copies back.
#
# TRUNCATE of a source table is not followed (an owner-level operation, as for the ledger).
REVIEW_COLUMNS = (
    "risk_score",
    "blast_score",
    "service_tier",
    "ai_level",
    "ai_share",
    "approved",
    "last_decision",
    "last_signer",
)
COLUMNS = ", ".join(REVIEW_COLUMNS)
TARGET = ", ".join(f"c.{name}" for name in REVIEW_COLUMNS)
SOURCE = ", ".join(f"v.{name}" for name in REVIEW_COLUMNS)
SOURCE_TABLES = ("analysis_riskassessment", "analysis_blastradius", "changes_aiprovenance")

FORWARD = f"""
CREATE FUNCTION change_review_refresh(change_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM changes_change WHERE id = ANY(change_ids) ORDER BY id FOR NO KEY UPDATE;
    PERFORM set_config('accountability.change_review_refresh', 'on', true);
    UPDATE changes_change AS c
    SET ({COLUMNS}) = ({SOURCE})
    FROM (
        SELECT change.id,
               risk.score AS risk_score,
               radius.score AS blast_score,
               service.tier AS service_tier,
               coalesce(provenance.level, 'unknown') AS ai_level,
               provenance.ai_share,
               EXISTS (
                   SELECT 1 FROM changes_signoff AS approval
                   WHERE approval.change_id = change.id AND approval.decision = 'approve'
                     AND NOT EXISTS (
                         SELECT 1 FROM changes_signoff AS revocation WHERE revocation.revokes_id = approval.id
                     )
               ) AS approved,
               coalesce(last.decision, '') AS last_decision,
               coalesce(last.name, '') AS last_signer
        FROM changes_change AS change
        JOIN catalog_service AS service ON service.id = change.service_id
        LEFT JOIN analysis_riskassessment AS risk ON risk.change_id = change.id
        LEFT JOIN analysis_blastradius AS radius ON radius.change_id = change.id
        LEFT JOIN changes_aiprovenance AS provenance ON provenance.change_id = change.id
        LEFT JOIN LATERAL (
            SELECT signoff.decision, person.name
            FROM changes_signoff AS signoff JOIN catalog_person AS person ON person.id = signoff.signer_id
            WHERE signoff.change_id = change.id
            ORDER BY signoff.id DESC
            LIMIT 1
        ) AS last ON true
        WHERE change.id = ANY(change_ids)
    ) AS v
    WHERE c.id = v.id AND ({TARGET}) IS DISTINCT FROM ({SOURCE});
    PERFORM set_config('accountability.change_review_refresh', 'off', true);
END;
$$;

CREATE FUNCTION change_review_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('accountability.change_review_refresh', true) = 'on' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        -- The rows these columns copy refer to the change, so none exists yet; their own triggers
        -- fill the columns in when they are written.
        NEW.risk_score := NULL;
        NEW.blast_score := NULL;
        NEW.ai_level := 'unknown';
        NEW.ai_share := NULL;
        NEW.approved := false;
        NEW.last_decision := '';
        NEW.last_signer := '';
    ELSE
        NEW.risk_score := OLD.risk_score;
        NEW.blast_score := OLD.blast_score;
        NEW.ai_level := OLD.ai_level;
        NEW.ai_share := OLD.ai_share;
        NEW.approved := OLD.approved;
        NEW.last_decision := OLD.last_decision;
        NEW.last_signer := OLD.last_signer;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.service_id IS DISTINCT FROM OLD.service_id THEN
        SELECT tier INTO NEW.service_tier FROM catalog_service WHERE id = NEW.service_id;
    ELSE
        NEW.service_tier := OLD.service_tier;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER change_review_guard BEFORE INSERT OR UPDATE ON changes_change
    FOR EACH ROW EXECUTE FUNCTION change_review_guard();

CREATE FUNCTION change_review_from_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM change_review_refresh(ARRAY(SELECT DISTINCT change_id FROM new_rows));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM change_review_refresh(ARRAY(SELECT change_id FROM new_rows UNION SELECT change_id FROM old_rows));
    ELSE
        PERFORM change_review_refresh(ARRAY(SELECT DISTINCT change_id FROM old_rows));
    END IF;
    RETURN NULL;
END;
$$;
{
    "".join(
        f'''
CREATE TRIGGER {table}_review_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION change_review_from_rows();
CREATE TRIGGER {table}_review_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION change_review_from_rows();
CREATE TRIGGER {table}_review_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION change_review_from_rows();
'''
        for table in SOURCE_TABLES
    )
}
-- The ledger is append-only (migration 0002): inserts are the only writes to follow.
CREATE TRIGGER changes_signoff_review_insert AFTER INSERT ON changes_signoff
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION change_review_from_rows();

-- A service's new tier, or a signer's new name, reaches the changes that show it.
CREATE FUNCTION change_review_from_services() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM change_review_refresh(ARRAY(
        SELECT change.id FROM changes_change AS change
        JOIN new_rows ON new_rows.id = change.service_id
        JOIN old_rows ON old_rows.id = new_rows.id
        WHERE new_rows.tier IS DISTINCT FROM old_rows.tier
    ));
    RETURN NULL;
END;
$$;
CREATE TRIGGER catalog_service_review_update AFTER UPDATE ON catalog_service
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION change_review_from_services();

CREATE FUNCTION change_review_from_people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM change_review_refresh(ARRAY(
        SELECT DISTINCT signoff.change_id FROM changes_signoff AS signoff
        JOIN new_rows ON new_rows.id = signoff.signer_id
        JOIN old_rows ON old_rows.id = new_rows.id
        WHERE new_rows.name IS DISTINCT FROM old_rows.name
    ));
    RETURN NULL;
END;
$$;
CREATE TRIGGER catalog_person_review_update AFTER UPDATE ON catalog_person
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION change_review_from_people();

-- Existing changes get their columns once.
SELECT change_review_refresh(ARRAY(SELECT id FROM changes_change));
"""

BACKWARD = f"""
DROP TRIGGER catalog_person_review_update ON catalog_person;
DROP FUNCTION change_review_from_people();
DROP TRIGGER catalog_service_review_update ON catalog_service;
DROP FUNCTION change_review_from_services();
DROP TRIGGER changes_signoff_review_insert ON changes_signoff;
{
    "".join(
        f'''
DROP TRIGGER {table}_review_insert ON {table};
DROP TRIGGER {table}_review_update ON {table};
DROP TRIGGER {table}_review_delete ON {table};
'''
        for table in SOURCE_TABLES
    )
}
DROP FUNCTION change_review_from_rows();
DROP TRIGGER change_review_guard ON changes_change;
DROP FUNCTION change_review_guard();
DROP FUNCTION change_review_refresh(bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0004_review_columns"),
        ("analysis", "0003_team_bumps_graph_version"),
        ("catalog", "0002_service_repositories_lower_index"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
