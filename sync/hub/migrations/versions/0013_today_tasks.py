"""Today: a brand's task rules as data, task outcomes, campaign lists (sync.hub.tasks).

- task_settings: a brand's rules (sync.rules.today.TaskSettings as JSON); a brand without a
  row has the defaults, so existing brands need no row.
- task_outcomes: one outcome per (store, task key); the first done or dismissed stays.
- task_lists: a manager's campaign lists and the consultants they are assigned to.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_settings",
        sa.Column("brand_id", sa.String(36), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "task_outcomes",
        sa.Column("store_id", sa.String(36), primary_key=True),
        sa.Column("task_key", sa.String(200), primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "task_lists",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("store_id", sa.String(36), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("task_lists_store", "task_lists", ["store_id"])


def downgrade() -> None:
    op.execute("DELETE FROM feed WHERE entity IN ('task_rules', 'task_outcome', 'task_list')")
    op.drop_index("task_lists_store", table_name="task_lists")
    op.drop_table("task_lists")
    op.drop_table("task_outcomes")
    op.drop_table("task_settings")
