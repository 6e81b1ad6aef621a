"""The stock tables (migration ``pos_stock_0001``, which must agree with these).

- ``pos_stock_doc``: one posted document: its kind, the store, who posted it, the other
  party (a supplier, a buyer, the other store), the reason, and the whole document as JSON
  (what a repeat of its id is compared with).
- ``pos_stock_move``: what a document moved, signed (+ in, - out) per line and item; a
  count's lines are its discrepancies (counted - book), with the counted and book figures.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

doc = sa.Table(
    "pos_stock_doc", metadata,
    sa.Column("id", sa.String(100), primary_key=True),  # the document's own id: a repeat is one
    sa.Column("site", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # stock.book.DocKind
    sa.Column("counterpart", sa.String(200)),
    sa.Column("reason", sa.String(500)),
    sa.Column("ref", sa.String(100)),  # a transfer-in: the transfer-out's id
    sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("posted_by", sa.String(100), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Index("ix_pos_stock_doc_site_at", "site", "posted_at"),
)

move = sa.Table(
    "pos_stock_move", metadata,
    sa.Column("doc_id", sa.String(100), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("site", sa.String(64), nullable=False),
    sa.Column("item_code", sa.String(64), nullable=False),
    sa.Column("qty", sa.Numeric(14, 3), nullable=False),  # signed
    sa.Column("cost", sa.BigInteger),  # kopecks a unit (a receipt's purchase price)
    sa.Column("book", sa.Numeric(14, 3)),  # a count: what the books said
    sa.Column("counted", sa.Numeric(14, 3)),  # a count: what was on the shelf
    sa.Index("ix_pos_stock_move_site_item", "site", "item_code"),
)

__all__ = ["doc", "metadata", "move"]
