"""employer settings (integrity thresholds) and self-reported demographic groups, kept apart for the adverse-impact report

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settings", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "demographic_records",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("employer_id", sa.String(length=40), nullable=False),
        sa.Column("invitation_id", sa.String(length=40), nullable=False),
        sa.Column("group", sa.String(length=100), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["employer_id"], ["employers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invitation_id"),
    )
    with op.batch_alter_table("demographic_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_demographic_records_employer_id"), ["employer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("demographic_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_demographic_records_employer_id"))
    op.drop_table("demographic_records")
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.drop_column("settings")
