"""Kassa plugin lime: Lime loyalty and deposits (lime-it.ru): accounts paid at the till, checks with per-line history, the detailed sales report, with a simulator. Hook implementations only."""
