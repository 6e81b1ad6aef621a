"""Kassa plugin delivery: remote fiscalization for delivery drivers: one office register, a
JSON API for the drivers' app, receipt copies to the buyer. Hook implementations only."""
