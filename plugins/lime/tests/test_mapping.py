"""Till lines -> Lime good types: a product code's entry, else its menu group's
(``category``), else ``default_good_type_id``; an entry naming neither is a config error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kassa import config
from kassa.errors import ConfigError
from kassa.model import OrderLine
from kassa_lime.mapping import lines_for
from kassa_lime.settings import LimeSettings


def settings(**lime: object) -> LimeSettings:
    parsed: LimeSettings = config.parse({"lime": lime},
                                        sections={"lime": LimeSettings}).plugins["lime"]
    return parsed


def dish(code: str, category: str | None, price: int = 15000) -> OrderLine:
    return OrderLine(code=code, name=f"dish {code}", quantity=Decimal(1), price=price,
                     amount=price, category=category)


def test_code_then_category_then_the_default():
    s = settings(default_good_type_id=1, good_types=[
        {"category": "Напитки", "good_type_id": 66, "name": "Напитки"},
        {"code": "115", "good_type_id": 70, "name": "Пиво"},
        {"category": "Супы", "good_type_id": 63}])
    lines = lines_for(s, [dish("114", "Напитки"), dish("115", "Напитки"),
                          dish("111", "Супы"), dish("101", "Роллы"), dish("", None)])
    assert [ln.good_type_id for ln in lines] == [66, 70, 63, 1, 1]


def test_a_good_type_naming_neither_code_nor_category_is_refused():
    with pytest.raises(ConfigError, match="product code or a category"):
        settings(good_types=[{"good_type_id": 5}])
