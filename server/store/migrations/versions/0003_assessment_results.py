"""assessment results

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 16:28:27.977072
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("assessment_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("results", sa.JSON(), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("assessment_attempts", schema=None) as batch_op:
        batch_op.drop_column("results")
