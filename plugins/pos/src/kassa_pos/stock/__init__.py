"""The store's stock: goods receipts, expense invoices, transfers, write-offs and inventory
counts as documents (``stock.book``), and stock levels from them and the till's sales."""
