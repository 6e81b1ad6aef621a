"""Kassa plugin bonus: hook implementations only."""
