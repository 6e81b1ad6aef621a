"""The hub's HTTP API: the admin API (console, /api/*) and routes plugins register."""
