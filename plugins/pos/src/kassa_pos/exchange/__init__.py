"""Exchange with accounting systems (CommerceML 2 for 1C), see docs/plugins/pos.md."""
