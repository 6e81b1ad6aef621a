"""Kassa plugin rkeeper: hook implementations only."""
