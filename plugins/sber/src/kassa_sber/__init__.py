"""Kassa plugin sber: Sberbank UPOS bank card terminals (purchase, cancel, refund, reconciliation), with a terminal emulator. Hook implementations only."""
