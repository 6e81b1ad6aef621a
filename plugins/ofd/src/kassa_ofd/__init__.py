"""Kassa plugin ofd: the fiscal data operator (OFD.ru merchant API): receipts reached the OFD, lookups, the FNS receipt check, with an OFD emulator. Hook implementations only."""
