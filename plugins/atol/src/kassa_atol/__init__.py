"""Kassa plugin atol: ATOL fiscal registers: the ATOL Web Server (driver v10 JSON tasks) and ATOL Online v5, with simulators. Hook implementations only."""
