"""Kassa plugin scanner: barcode scanners (serial and keyboard-wedge) and GS1 DataMatrix marking codes, with an emulator. Hook implementations only."""
