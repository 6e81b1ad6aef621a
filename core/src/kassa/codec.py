"""The one cattrs converter: JSON for the store, the bus and the API."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from cattrs.preconf.json import make_converter

T = TypeVar("T")

converter = make_converter()
converter.register_unstructure_hook(Decimal, str)
converter.register_structure_hook(Decimal, lambda v, _: Decimal(str(v)))
converter.register_unstructure_hook(datetime, lambda v: v.isoformat())
converter.register_structure_hook(datetime, lambda v, _: v if isinstance(v, datetime)
                                  else datetime.fromisoformat(v))
converter.register_unstructure_hook(date, lambda v: v.isoformat())
converter.register_structure_hook(date, lambda v, _: v if isinstance(v, date)
                                  else date.fromisoformat(v))
converter.register_unstructure_hook(bytes, lambda v: base64.b64encode(v).decode())
converter.register_structure_hook(bytes, lambda v, _: v if isinstance(v, bytes)
                                  else base64.b64decode(v))


def to_dict(obj: Any) -> Any:
    return converter.unstructure(obj)


def from_dict(data: Any, cls: type[T]) -> T:
    return converter.structure(data, cls)


def dumps(obj: Any) -> str:
    return json.dumps(converter.unstructure(obj), ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes, cls: type[T]) -> T:
    return converter.structure(json.loads(text), cls)
