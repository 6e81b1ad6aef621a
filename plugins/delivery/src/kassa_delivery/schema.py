"""The plugin's one table: a fiscal job per driver payment or refund, in acceptance order."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

job = sa.Table(
    "delivery_job", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # the queue's order
    sa.Column("idem_key", sa.String(300), nullable=False, unique=True),  # caller:Idempotency-Key
    sa.Column("order_id", sa.String(64), nullable=False),
    sa.Column("payment_id", sa.String(64), nullable=False),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("site", sa.String(40), nullable=False),
    sa.Column("register", sa.String(80), nullable=False),  # "" = the site's register
    sa.Column("driver", sa.String(64), nullable=False),
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("payment_kind", sa.String(20), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("request", sa.Text, nullable=False),  # the accepted body, JSON
    sa.Column("contact", sa.String(200), nullable=True),  # 1008, or none
    sa.Column("contact_source", sa.String(20), nullable=True),
    sa.Column("warnings", sa.Text, nullable=False, default="[]"),  # JSON list of codes/texts
    sa.Column("status", sa.String(20), nullable=False),  # queued | fiscalised | failed | skipped
    sa.Column("waiting", sa.String(300), nullable=True),  # why the register is not answering
    sa.Column("wait_alerted", sa.Boolean, nullable=False, default=False),
    sa.Column("document", sa.Text, nullable=True),  # the FiscalDocument, kassa.codec JSON
    sa.Column("error", sa.Text, nullable=True),
    # none | pending | sent | not_sent | ofd | unknown (the send broke off: may have arrived)
    sa.Column("copy_status", sa.String(20), nullable=False),
    sa.Column("copy_reason", sa.Text, nullable=True),
    sa.Column("copy_attempts", sa.Integer, nullable=False, default=0),
    sa.Column("accepted_at", sa.String(32), nullable=False),  # UTC, fixed-width ISO: sortable
    sa.Column("done_at", sa.String(32), nullable=True),
    # sale | refund; a refund's ``request`` is its own body, the sale's lines are refund_of's
    sa.Column("kind", sa.String(10), nullable=False, server_default="sale"),
    sa.Column("refund_of", sa.Integer, nullable=True),  # the sale's job id
    sa.UniqueConstraint("order_id", "payment_id", name="uq_delivery_job_payment"),
    sa.Index("ix_delivery_job_queue", "status", "register", "id"),
    sa.Index("ix_delivery_job_driver", "driver", "accepted_at"),
    sa.Index("ix_delivery_job_refund_of", "refund_of"),
)
