"""integrity events carry the client's id, so a retried batch stores each event once

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("integrity_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_event_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_integrity_events_client", ["invitation_id", "client_event_id"])


def downgrade() -> None:
    with op.batch_alter_table("integrity_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_integrity_events_client", type_="unique")
        batch_op.drop_column("client_event_id")
