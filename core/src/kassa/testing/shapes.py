"""Does a simulator's JSON have the shape of a documented example? For fidelity tests: every
field of the example present, with the same JSON type (extra fields are allowed)."""

from __future__ import annotations

from typing import Any


def same_shape(doc: Any, got: Any, path: str = "$") -> list[str]:
    """Where ``got`` lacks a documented field or has another JSON type there (empty: it
    fits). Arrays compare their first items; ``true`` is not a number."""
    if isinstance(doc, dict):
        if not isinstance(got, dict):
            return [f"{path}: expected an object"]
        out: list[str] = []
        for k, v in doc.items():
            out += same_shape(v, got[k], f"{path}.{k}") if k in got else [f"{path}.{k}: missing"]
        return out
    if isinstance(doc, list):
        if not isinstance(got, list) or not got:
            return [f"{path}: expected a non-empty array"]
        return same_shape(doc[0], got[0], f"{path}[0]")
    kinds = (bool,) if isinstance(doc, bool) else (int,) if isinstance(doc, int) else (type(doc),)
    ok = isinstance(got, kinds) and not (kinds == (int,) and isinstance(got, bool))
    return [] if ok else [f"{path}: {type(got).__name__}, documented {type(doc).__name__}"]
