"""The pos plugin's tables (``pos_*``), as SQLAlchemy ``Table`` objects for queries.

They must agree with ``kassa_pos/migrations`` (``tests/test_catalog_store.py`` compares a
freshly migrated database with this metadata). Times are stored in UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
)

metadata = MetaData()

item = Table(
    "pos_item", metadata,
    Column("code", Text, primary_key=True),  # the shop's article
    Column("plu", Integer, nullable=True, unique=True),  # the scales' number, weighed goods
    Column("name", Text, nullable=False),
    Column("unit", Integer, nullable=False),  # kassa.model.ffd.Measure (tag 2108)
    Column("vat", Text, nullable=False),  # kassa.model.ffd.VatRate value
    Column("department", Integer, nullable=False),
    Column("item_group", Text, nullable=False),
    Column("flags", Integer, nullable=False),  # engine.catalog.ItemFlag
)

barcode = Table(
    "pos_barcode", metadata,
    Column("barcode", Text, primary_key=True),  # as barcodes.parse normalises it
    Column("item_code", Text, ForeignKey("pos_item.code", ondelete="CASCADE"),
           nullable=False),
    Index("ix_pos_barcode_item", "item_code"),
)

price_list = Table(
    "pos_price_list", metadata,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("site", Text, nullable=True),  # None: every store
    Column("priority", Integer, nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=True),
    Column("valid_to", DateTime(timezone=True), nullable=True),
)

price = Table(
    "pos_price", metadata,
    Column("list_code", Text, ForeignKey("pos_price_list.code", ondelete="CASCADE"),
           primary_key=True),
    Column("item_code", Text, ForeignKey("pos_item.code", ondelete="CASCADE"),
           primary_key=True),
    Column("price", BigInteger, nullable=False),  # kopecks per unit
)

# one row: bumped by every write that changes the catalog, so a till's in-memory index
# knows with one tiny read whether it must rebuild
catalog_version = Table(
    "pos_catalog_version", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
)

# items a full import removed (the chain's reference packages; migration pos_refdata_0001):
# the item as it was, for reports and the audit; an import that brings the code back
# deletes the row
item_inactive = Table(
    "pos_item_inactive", metadata,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("data", Text, nullable=False),  # the item's fields, JSON
    Column("removed_at", DateTime(timezone=True), nullable=False),
)
