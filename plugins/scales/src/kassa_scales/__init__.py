"""Kassa plugin scales: POS and label scales (CAS, Massa-K Protocol 100, Mettler Toledo MT-SICS, Shtrih-Print PLU upload), with emulators. Hook implementations only."""
