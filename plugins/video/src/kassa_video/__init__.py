"""Kassa plugin video: POS text feeds to video surveillance (Trassir-style XML over TCP, a
plain line protocol), buffered and replayed in order, with an emulator. Hook implementations
only."""
