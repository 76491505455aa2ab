"""PostgreSQL: a usage record's batch and meter are checked once per statement, not per row.

A foreign key is checked row by row: for each record a million-line import inserts, PostgreSQL
ran two look-ups that also lock the parent row, and that was half of the import's time. Here
the two foreign keys of usage_record (to import_batch and to meter) give way to triggers that
check a whole statement's records at once (statement-level triggers with transition tables):
the distinct batches and meters of the new records must exist, and they are locked against
deletion (FOR KEY SHARE) as the foreign keys locked them. The parents' side is kept too:
deleting a batch or a meter that records still use, or changing its id, is refused, as the
foreign keys' NO ACTION refused it. The errors are PostgreSQL's own foreign_key_violation.

The two texts that are indexed for every record, the identity key and the conversation, are
compared byte by byte (COLLATE "C"), as SQLite compares them: a server whose databases sort by
a language's rules (en_US, ICU) spent a fifth of the import comparing keys that way, and sorted
conversations otherwise than SQLite. Their indexes are rebuilt by the change.

Nothing changes on SQLite, where the foreign keys stay (SQLite checks them cheaply), nor for
usage_charge's key to usage_record (its cascade is used by undo and costs little).

Revision ID: 0004_record_checks
Revises: 0003_budgets
Create Date: 2026-12-07 02:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_record_checks"
down_revision: str | None = "0003_budgets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than shared with the code: a released migration must not change.
_BYTEWISE = ("dedupe_key", "conversation_id")
_KEYS = (("fk_usage_record_batch_id_import_batch", "batch_id", "import_batch"),
         ("fk_usage_record_meter_id_meter", "meter_id", "meter"))

_NEW_RECORDS = """
CREATE OR REPLACE FUNCTION meterbook_record_parents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    batches bigint[];
    meters bigint[];
    found bigint;
BEGIN
    -- The few distinct (batch, meter) pairs of the statement's records, in one pass.
    SELECT array_agg(DISTINCT b), array_agg(DISTINCT m) INTO batches, meters
    FROM (SELECT DISTINCT batch_id AS b, meter_id AS m FROM meterbook_new) pairs;
    IF batches IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM import_batch WHERE id = ANY(batches) FOR KEY SHARE;
    GET DIAGNOSTICS found = ROW_COUNT;
    IF found < cardinality(batches) THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'usage_record: a record names an import batch that does not exist';
    END IF;
    PERFORM 1 FROM meter WHERE id = ANY(meters) FOR KEY SHARE;
    GET DIAGNOSTICS found = ROW_COUNT;
    IF found < cardinality(meters) THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'usage_record: a record names a meter that does not exist';
    END IF;
    RETURN NULL;
END $$
"""

# One function per parent table: the ids a statement removed (deleted, or changed) must not be
# named by any record. An UPDATE that keeps the ids (an import's counts) costs nothing.
_PARENT = """
CREATE OR REPLACE FUNCTION meterbook_{table}_in_use() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM usage_record r
                   WHERE r.{column} IN (SELECT id FROM meterbook_old)) THEN
            RAISE foreign_key_violation USING
                MESSAGE = '{table}: still used by usage records';
        END IF;
    ELSIF EXISTS (SELECT id FROM meterbook_old EXCEPT SELECT id FROM meterbook_new) THEN
        IF EXISTS (SELECT 1 FROM usage_record r WHERE r.{column} IN
                   (SELECT id FROM meterbook_old EXCEPT SELECT id FROM meterbook_new)) THEN
            RAISE foreign_key_violation USING
                MESSAGE = '{table}: still used by usage records';
        END IF;
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _, _ in _KEYS:
        op.drop_constraint(name, "usage_record", type_="foreignkey")
    for column in _BYTEWISE:
        op.execute(f'ALTER TABLE usage_record ALTER COLUMN {column} TYPE varchar COLLATE "C"')
    op.execute(_NEW_RECORDS)
    for event in ("INSERT", "UPDATE"):
        op.execute(f"CREATE TRIGGER meterbook_record_parents_{event.lower()} AFTER {event} "
                   "ON usage_record REFERENCING NEW TABLE AS meterbook_new "
                   "FOR EACH STATEMENT EXECUTE FUNCTION meterbook_record_parents()")
    for _, column, table in _KEYS:
        op.execute(_PARENT.format(table=table, column=column))
        op.execute(f"CREATE TRIGGER meterbook_{table}_in_use_delete AFTER DELETE ON {table} "
                   "REFERENCING OLD TABLE AS meterbook_old "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION meterbook_{table}_in_use()")
        op.execute(f"CREATE TRIGGER meterbook_{table}_in_use_update AFTER UPDATE ON {table} "
                   "REFERENCING OLD TABLE AS meterbook_old NEW TABLE AS meterbook_new "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION meterbook_{table}_in_use()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for _, _, table in _KEYS:
        for event in ("delete", "update"):
            op.execute(f"DROP TRIGGER meterbook_{table}_in_use_{event} ON {table}")
        op.execute(f"DROP FUNCTION meterbook_{table}_in_use()")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER meterbook_record_parents_{event} ON usage_record")
    op.execute("DROP FUNCTION meterbook_record_parents()")
    for name, column, table in _KEYS:
        op.create_foreign_key(name, "usage_record", table, [column], ["id"])
    for column in _BYTEWISE:
        op.execute(f'ALTER TABLE usage_record ALTER COLUMN {column} TYPE varchar '
                   'COLLATE "default"')
