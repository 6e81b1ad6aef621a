"""Kassa plugin max: hook implementations only."""
