"""Kassa plugin pos: a shop's cash desk (the headless till engine). Hook implementations only."""
