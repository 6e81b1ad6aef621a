"""CommerceML 2 import from 1C: fixtures shaped by the schema (import.xml with a classifier
and a catalog, offers.xml with price types), windows-1251 and UTF-8, an incremental package,
idempotence, a dry run, rejects with their lines, a malformed file and a DTD."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kassa_pos
import pytest
from kassa.errors import UserError
from kassa.hookspecs.exchange import CatalogRead
from kassa.model.ffd import Measure, VatRate
from kassa.store import Store
from kassa_pos.engine.catalog import Catalog
from kassa_pos.exchange.commerceml import ExchangeError, read_package
from kassa_pos.exchange.service import import_package, pick

pytestmark = pytest.mark.anyio
MIGRATIONS = {"pos": Path(kassa_pos.__file__).parent / "migrations"}
FIX = Path(__file__).parent / "exchange_fixtures"
FULL = [FIX / "import.xml", FIX / "offers.xml"]
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


class Hub:
    """What the catalog needs of a hub: the store's engine and writes, state, a clock."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        self.write_sync = store.write_sync
        self.clock = self
        self._state: dict[str, dict[str, Any]] = {}

    def now(self) -> datetime:
        return NOW

    def state(self, owner: str) -> dict[str, Any]:
        return self._state.setdefault(owner, {})

    def section(self, name: str, cls: type | None = None) -> Any:
        return None


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'kassa.db'}", migrations=MIGRATIONS)
    await store.prepare()
    yield Hub(store)
    await store.close()


def _line_of(path: Path, text: str) -> int:
    return next(i for i, ln in enumerate(path.read_text("utf-8").splitlines(), 1) if text in ln)


async def test_a_full_package_imports_items_groups_vat_units_and_retail_prices(hub: Hub) -> None:
    rep = await import_package(hub, FULL)
    assert sorted(rep.added) == ["BRD-1", "CHS-1", "MLK-32"]
    cat = await Catalog.open(hub)
    milk = cat.by_code("MLK-32")
    assert milk is not None and milk.vat is VatRate.VAT10 and milk.group == "Молоко"
    assert milk.barcodes == ("4600000000107",)
    assert cat.price(milk) == 8990  # Розничная, not Оптовая
    bread = cat.by_code("BRD-1")
    assert bread is not None and bread.vat is VatRate.NONE and cat.price(bread) == 5400
    cheese = cat.by_code("CHS-1")
    assert cheese is not None and cheese.unit is Measure.KILOGRAM
    assert cheese.vat is VatRate.VAT20  # 1C's old "18%" -> the rate that replaced it
    assert cat.price(cheese) is None  # no offer: the till asks for a price


async def test_rejects_name_file_line_path_and_reason(hub: Hub) -> None:
    rep = await import_package(hub, FULL)
    got = [str(r) for r in rep.rejects]
    bag = _line_of(FIX / "import.xml", "a1b2c3d4-0003") - 1  # the <Товар> line
    unknown = _line_of(FIX / "offers.xml", "ffff-unknown") - 1
    assert got == [
        f"import.xml:{bag} Каталог/Товары/Товар[Ид=a1b2c3d4-0003]: нет штрихкода и артикула",
        f"offers.xml:{unknown} ПакетПредложений/Предложения/Предложение[Ид=ffff-unknown]: "
        "товар не найден ни в пакете, ни в каталоге"]


async def test_the_same_package_twice_changes_nothing(hub: Hub) -> None:
    first = await import_package(hub, FULL)
    again = await import_package(hub, FULL)
    assert again.version == first.version
    assert not again.added and not again.changed
    assert sorted(again.unchanged) == ["BRD-1", "CHS-1", "MLK-32"]


async def test_a_dry_run_lists_what_would_change_and_writes_nothing(hub: Hub) -> None:
    rep = await import_package(hub, FULL, dry_run=True)
    assert sorted(rep.added) == ["BRD-1", "CHS-1", "MLK-32"] and rep.dry_run
    text = "\n".join(rep.lines(limit=2))
    assert "добавлено: 3 (" in text and "…" in text and "отклонено: 2" in text
    cat = await Catalog.open(hub)
    assert len(cat) == 0 and cat.version == rep.version


CP1251_OFFERS = """<?xml version="1.0" encoding="windows-1251"?>
<КоммерческаяИнформация ВерсияСхемы="2.05">
  <ПакетПредложений СодержитТолькоИзменения="true">
    <ТипыЦен><ТипЦены><Ид>pt-retail</Ид><Наименование>Розничная</Наименование></ТипЦены></ТипыЦен>
    <Предложения>
      <Предложение>
        <Ид>a1b2c3d4-0002</Ид>
        <Артикул>BRD-1</Артикул>
        <Цены><Цена><ИдТипаЦены>pt-retail</ИдТипаЦены><ЦенаЗаЕдиницу>59,50</ЦенаЗаЕдиницу></Цена></Цены>
      </Предложение>
    </Предложения>
  </ПакетПредложений>
</КоммерческаяИнформация>
"""

CP1251_IMPORT = """<?xml version="1.0" encoding="windows-1251"?>
<КоммерческаяИнформация ВерсияСхемы="2.05">
  <Каталог СодержитТолькоИзменения="true">
    <Товары>
      <Товар>
        <Ид>a1b2c3d4-0001</Ид>
        <Штрихкод>4600000000107</Штрихкод>
        <Артикул>MLK-32</Артикул>
        <Наименование>Молоко 3,2% 0,9 л</Наименование>
        <СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>10%</Ставка></СтавкаНалога></СтавкиНалогов>
      </Товар>
    </Товары>
  </Каталог>
</КоммерческаяИнформация>
"""


async def test_an_incremental_windows_1251_package_changes_only_what_it_names(
        hub: Hub, tmp_path: Path) -> None:
    await import_package(hub, FULL)
    imp, off = tmp_path / "import0_1.xml", tmp_path / "offers0_1.xml"
    imp.write_bytes(CP1251_IMPORT.encode("cp1251"))
    off.write_bytes(CP1251_OFFERS.encode("cp1251"))
    rep = await import_package(hub, [off, imp])
    assert sorted(rep.changed) == ["BRD-1", "MLK-32"] and not rep.added and not rep.absent
    cat = await Catalog.open(hub)
    milk, bread, cheese = (cat.by_code(c) for c in ("MLK-32", "BRD-1", "CHS-1"))
    assert milk is not None and milk.name == "Молоко 3,2% 0,9 л" and milk.group == "Молоко"
    assert bread is not None and cat.price(bread) == 5950 and bread.group == "Хлеб"
    assert cheese is not None  # not in the package: untouched
    assert cat.price(milk) == 8990  # the incremental offers did not name it


async def test_a_full_package_reports_the_store_items_it_lacks(hub: Hub, tmp_path: Path) -> None:
    await import_package(hub, FULL)
    text = (FIX / "import.xml").read_text("utf-8")
    start = text.index("      <Товар>\n        <Ид>a1b2c3d4-0004")
    end = text.index("</Товар>", start) + len("</Товар>\n")
    (tmp_path / "import.xml").write_text(text[:start] + text[end:], "utf-8")
    rep = await import_package(hub, [tmp_path / "import.xml"], dry_run=True)
    assert rep.full and rep.absent == ["CHS-1"]


def test_a_malformed_file_is_one_sentence_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "import.xml"
    bad.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация>\n'
                   "<Каталог>\n<Товары>\n</Каталог>\n", "utf-8")
    with pytest.raises(ExchangeError) as exc:
        read_package([bad])
    assert str(exc.value).startswith("import.xml:5: файл не является корректным XML")


def test_a_dtd_is_refused_before_any_entity_expands(tmp_path: Path) -> None:
    bomb = tmp_path / "import.xml"
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<r>&b;</r>\n', "utf-8")
    with pytest.raises(ExchangeError, match="DTD"):
        read_package([bomb])


class Toy:
    """A toy accounting format: one ``code;name;vat;price`` line per item."""

    name = "toy"

    def read_catalog(self, paths: Sequence[Path],
                     known: Mapping[str, Mapping[str, Any]]) -> CatalogRead:
        rows = []
        for p in paths:
            for n, ln in enumerate(p.read_text("utf-8").splitlines(), 1):
                code, name, vat, price = ln.split(";")
                rows.append({"code": code, "name": name, "vat": vat, "price": price,
                             "source": f"{p.name}:{n}"})
        return CatalogRead(rows=rows, full=False)

    def write_sales(self, docs: Sequence[Any], path: Path) -> None:
        path.write_text("".join(f"{d.id}\n" for d in docs), "utf-8")


def test_the_pos_plugin_registers_commerceml_through_the_hook() -> None:
    from kassa.plugins import Plugins, new_manager

    formats = Plugins(new_manager(entry_points=False, extra=[kassa_pos])).exchange_formats()
    assert pick(formats, "commerceml").name == "commerceml"
    with pytest.raises(UserError, match="не найден"):
        pick(formats, "sap")


async def test_a_toy_format_goes_through_the_same_import(hub: Hub, tmp_path: Path) -> None:
    await import_package(hub, FULL)
    src = tmp_path / "prices.txt"
    src.write_text("MLK-32;Молоко 3,2% 1 л;10%;95.00\nNEW-1;Новый;ндс 30;1\n", "utf-8")
    rep = await import_package(hub, [src], fmt=Toy())
    assert rep.changed == ["MLK-32"] and rep.rejects[0].startswith("prices.txt:2: ")
    cat = await Catalog.open(hub)
    milk = cat.by_code("MLK-32")
    assert milk is not None and cat.price(milk) == 9500 and milk.group == "Молоко"


def test_a_namespaced_package_is_read_by_local_names(tmp_path: Path) -> None:
    text = (FIX / "import.xml").read_text("utf-8").replace(
        "<КоммерческаяИнформация ", '<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ', 1)
    text = text.replace("<Товары>", '<c:Товары xmlns:c="urn:1C.ru:commerceml_210">')
    text = text.replace("</Товары>", "</c:Товары>")
    (tmp_path / "import.xml").write_text(text, "utf-8")
    pkg = read_package([tmp_path / "import.xml"])
    assert sorted(r["code"] for r in pkg.rows.values()) == ["BRD-1", "CHS-1", "MLK-32"]
