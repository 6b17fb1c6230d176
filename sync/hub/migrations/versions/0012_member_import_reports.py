"""Member import and reports that mean what they say.

- member_imports: which client a member of another loyalty system became (by the source
  system's name and its own member id), so a re-run of `import-members` adds nothing;
  import_runs: each run's reconciliation (rows read, imported, rejected, point totals).
- receipts.at / kind / cashier / linked_by: the receipt's time (UTC,
  "YYYY-MM-DDTHH:MM:SS"), its fiscal type (1 sale, 2 return, 3 expense, 4 expense
  return), the till's cashier and who tied it to its client (an account id, or "till"),
  as columns, so the identified-receipt report filters a period and a type by index
  instead of reading every receipt's JSON. Existing rows are filled from their JSON.

Revision ID: 0012
Revises: 0011
"""

import datetime as dt
import json

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _utc_key(text: str | None) -> str | None:
    if not text:
        return None
    t = dt.datetime.fromisoformat(text)
    t = t if t.tzinfo else t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def upgrade() -> None:
    op.create_table(
        "member_imports",
        sa.Column("source", sa.String(40), primary_key=True),
        sa.Column("external_id", sa.String(100), primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False, unique=True),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("tier", sa.String(40)),
    )
    op.create_table(
        "import_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text),
        sa.Column("report", sa.Text),
    )
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("at", sa.String(32)))
        batch.add_column(sa.Column("kind", sa.Integer))
        batch.add_column(sa.Column("cashier", sa.String(100)))
        batch.add_column(sa.Column("linked_by", sa.String(36)))
    op.create_index("receipts_store_at", "receipts", ["store_id", "at"])
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, data FROM receipts")).all()
    filled = []
    for rid, data in rows:
        d = json.loads(data)
        filled.append(
            {
                "id": rid,
                "at": _utc_key(d.get("at")),
                "kind": int(d.get("type") or 1),
                "c": d.get("cashier"),
                "by": d.get("linked_by"),
            }
        )
    for k in range(0, len(filled), 1000):
        conn.execute(
            sa.text("UPDATE receipts SET at = :at, kind = :kind, cashier = :c, linked_by = :by WHERE id = :id"),
            filled[k : k + 1000],
        )


def downgrade() -> None:
    op.drop_index("receipts_store_at", "receipts")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("linked_by")
        batch.drop_column("cashier")
        batch.drop_column("kind")
        batch.drop_column("at")
    op.drop_table("import_runs")
    op.drop_table("member_imports")
