"""The Shtrih-M emulator (fiscal.md §12): ``ShtrihSimulator`` serves ``fr.Register`` over
the byte-exact link layer on TCP and a pty."""

from kassa_shtrih.sim.server import DEFAULT_PORT, ShtrihSimulator

__all__ = ["DEFAULT_PORT", "ShtrihSimulator"]
