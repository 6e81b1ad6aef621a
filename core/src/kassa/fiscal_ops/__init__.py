"""Fiscal operations for people: the ``kassa fiscal`` CLI and its admin API routes, the
console's Fiscal panel data, the register monitor (alerts), the scheduled Z report and the
``/x`` ``/z`` chat commands. Every action goes through ``hub.fiscal`` (the journal, keyed);
nothing here talks to a register directly, so it works with any ``FiscalDevice``."""
