"""Kassa plugin escpos: ESC/POS receipt and kitchen printers over TCP 9100, USB and serial, with a printer emulator. Hook implementations only."""
