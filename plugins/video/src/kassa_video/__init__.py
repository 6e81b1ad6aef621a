"""Kassa plugin video: POS text feeds to video surveillance systems. Hook implementations only."""
