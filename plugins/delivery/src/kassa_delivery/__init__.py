"""Kassa plugin delivery: remote fiscalization for delivery drivers. Hook implementations only."""
