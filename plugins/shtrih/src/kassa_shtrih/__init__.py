"""Kassa plugin shtrih: Shtrih-M fiscal registers over TCP and serial (the byte-exact link layer), with an emulator. Hook implementations only."""
