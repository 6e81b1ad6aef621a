"""Kassa plugin telegram: hook implementations only."""
