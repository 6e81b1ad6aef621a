"""The core's tables. Plugins keep their own tables in their own metadata."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def _ts(**kw: object) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), **kw)  # type: ignore[arg-type]


def _serial() -> Column[int]:
    """An autoincrementing key: BIGINT, but INTEGER on SQLite (only that autoincrements there)."""
    return Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                  autoincrement=True)


class EventRow(SQLModel, table=True):
    """The event log. Unique on (site, source_key): a re-delivered fact is a no-op."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("site", "source_key", name="uq_events_site_key"),)

    seq: int | None = Field(default=None, sa_column=_serial())
    id: str = Field(index=True, unique=True, max_length=64)
    site: str = Field(index=True, max_length=64)
    source_key: str = Field(max_length=255)
    kind: str = Field(index=True, max_length=64)
    severity: str = Field(max_length=16)
    employee: str | None = Field(default=None, max_length=128)
    occurred_at: datetime = Field(sa_column=_ts(nullable=False, index=True))
    received_at: datetime = Field(sa_column=_ts(nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))  # codec JSON of the Event


class OutboxRow(SQLModel, table=True):
    """A message decided on; delivered by the channel's worker. Unique on ``key``."""

    __tablename__ = "outbox"
    # the workers' two questions, asked several times a second, answered from the few
    # pending rows only (partial indexes: sent rows pile up by the million)
    __table_args__ = (
        Index("ix_outbox_queue", "channel", "chat_id", "id",
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        Index("ix_outbox_due", "channel", "next_at",
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: int | None = Field(default=None, sa_column=_serial())
    key: str = Field(unique=True, max_length=255)
    channel: str = Field(index=True, max_length=64)
    chat_id: str = Field(max_length=64)
    thread_id: str | None = Field(default=None, max_length=64)
    event_id: str | None = Field(default=None, index=True, max_length=64)
    kind: str = Field(max_length=16)  # alert | report | reply | digest | mailing
    severity: str = Field(max_length=16)
    status: str = Field(index=True, max_length=16)  # pending | sent | dead | merged
    attempts: int = 0
    next_at: datetime = Field(sa_column=_ts(nullable=False))
    created_at: datetime = Field(sa_column=_ts(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    remote_id: str | None = Field(default=None, max_length=128)
    digest_id: int | None = Field(default=None)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # Message JSON or a deferred job


class InboxRow(SQLModel, table=True):
    """Incoming chat updates, persisted before they are handled."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("channel", "update_id", name="uq_inbox_update"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=64)
    update_id: str = Field(max_length=128)
    status: str = Field(index=True, max_length=16)  # new | done | failed
    received_at: datetime = Field(sa_column=_ts(nullable=False))
    handled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text))
    payload: str = Field(sa_column=Column(Text, nullable=False))


class ChatStateRow(SQLModel, table=True):
    """What chats changed about themselves: a binding made by a link, settings, a new id."""

    __tablename__ = "chat_state"

    channel: str = Field(primary_key=True, max_length=64)
    chat_id: str = Field(primary_key=True, max_length=64)
    site: str | None = Field(default=None, max_length=64)
    owners: bool = False
    title: str | None = Field(default=None, max_length=255)
    migrated_to: str | None = Field(default=None, max_length=64)
    settings: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    updated_at: datetime = Field(sa_column=_ts(nullable=False))


class LinkTokenRow(SQLModel, table=True):
    """One-time deep-link tokens that bind a chat to a site (or the owners)."""

    __tablename__ = "link_tokens"

    token: str = Field(primary_key=True, max_length=64)
    site: str | None = Field(default=None, max_length=64)
    owners: bool = False
    created_at: datetime = Field(sa_column=_ts(nullable=False))
    expires_at: datetime = Field(sa_column=_ts(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    used_by: str | None = Field(default=None, max_length=128)


class ButtonStateRow(SQLModel, table=True):
    """Server-side state behind short callback data (buttons carry only the id)."""

    __tablename__ = "button_state"

    id: str = Field(primary_key=True, max_length=16)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=_ts(nullable=False))


class CursorRow(SQLModel, table=True):
    """How far a background reader got (the relay's last event sent to the centre)."""

    __tablename__ = "cursors"

    name: str = Field(primary_key=True, max_length=64)
    position: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    updated_at: datetime = Field(sa_column=_ts(nullable=False))


class JournalRow(SQLModel, table=True):
    """One side-effecting call to a fiscal, payment or device component (``kassa.journal``).
    Unique on ``key``: a retry finds the row and never prints, charges or fiscalises twice."""

    __tablename__ = "journal"
    # start-up and the console ask for the rows left pending/unknown: few among many done
    __table_args__ = (
        Index("ix_journal_open", "status", "component",
              sqlite_where=text("status IN ('pending', 'unknown')"),
              postgresql_where=text("status IN ('pending', 'unknown')")),
    )

    id: int | None = Field(default=None, sa_column=_serial())
    key: str = Field(unique=True, max_length=255)
    component: str = Field(max_length=64)
    concern: str = Field(max_length=16)  # fiscal | payment | device
    kind: str = Field(max_length=32)  # receipt | capture | print | ...
    site: str | None = Field(default=None, max_length=64)
    station: str | None = Field(default=None, max_length=64)
    request: str = Field(sa_column=Column(Text, nullable=False))  # codec JSON
    digest: str = Field(max_length=64)  # sha256 of the canonical request JSON
    status: str = Field(max_length=16)  # pending | done | failed | unknown
    result: str | None = Field(default=None, sa_column=Column(Text))  # codec JSON
    error_code: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 0
    created_at: datetime = Field(sa_column=_ts(nullable=False))
    updated_at: datetime = Field(sa_column=_ts(nullable=False))
