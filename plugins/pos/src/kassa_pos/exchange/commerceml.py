"""CommerceML 2 catalog packages from 1C (import.xml, offers.xml) -> the pos catalog's rows.

Streaming: pyexpat is fed 64 KiB at a time and only one ``Товар`` / ``Предложение`` subtree
is held at once, so a 1C export of any size fits. pyexpat (not ElementTree) because it tells
the line of each element, which a reject must name. A DTD is refused outright (entity
expansion attacks need one), the defusedxml rule. Structure: /work/shared/protocols/commerceml.md
§3 and the CommerceML 2.05–2.10 schema (commerceml.ru).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.parsers import expat

from attrs import define, field, frozen
from kassa.errors import UserError

CHUNK = 64 * 1024

# 1C's tax rate strings; "18%" ended on 2018-12-31 (303-FZ raised it to 20%): an old 1C
# base still carries it, we take the rate that replaced it.
VAT_OF_1C = {"22%": "vat22", "22": "vat22", "20%": "vat20", "20": "vat20", "18%": "vat20",
             "18": "vat20", "10%": "vat10", "10": "vat10", "0%": "vat0", "0": "vat0",
             "без ндс": "none", "безндс": "none", "20/120": "vat120", "10/110": "vat110",
             "22/122": "vat122", "5%": "vat5", "7%": "vat7"}
# ОКЕИ codes 1C puts in БазоваяЕдиница/@Код
UNIT_OF_OKEI = {"796": "шт", "166": "кг", "163": "г", "112": "л", "006": "м"}


class ExchangeError(UserError):
    """A package that cannot be read at all (malformed XML, a DTD): one sentence."""


@frozen
class Rejected:
    """An element not imported: the file, its line, its path (``Каталог/Товары/Товар[Ид=…]``)
    and why (Russian; the catalog's own reasons are Russian too)."""

    file: str
    line: int
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.path}: {self.reason}"


@define
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(factory=list)
    text: str = ""

    def find(self, *path: str) -> _Node | None:
        node: _Node | None = self
        for tag in path:
            assert node is not None
            node = next((c for c in node.children if c.tag == tag), None)
            if node is None:
                return None
        return node

    def all(self, *path: str) -> list[_Node]:
        *head, last = path
        parent = self.find(*head) if head else self
        return [] if parent is None else [c for c in parent.children if c.tag == last]

    def value(self, *path: str) -> str:
        node = self.find(*path)
        return "" if node is None else node.text.strip()


# subtrees held whole; everything else is passed through as a path only
_RECORDS = {("Классификатор", "Группы", "Группа"), ("Каталог", "Товары", "Товар"),
            ("ПакетПредложений", "ТипыЦен", "ТипЦены"),
            ("ПакетПредложений", "Предложения", "Предложение")}


def _record_key(stack: Sequence[str]) -> tuple[str, ...] | None:
    # a record ends in one of _RECORDS' tails, groups nest (Группа/Группы/Группа)
    for rec in _RECORDS:
        n = len(rec)
        if tuple(stack[-n:]) == rec:
            return rec
        if rec[-1] == "Группа" and len(stack) >= 2 and stack[-2:] == ["Группы", "Группа"] \
                and "Классификатор" in stack:
            return rec
    return None


def _stream(path: Path, on_record: Callable[[tuple[str, ...], _Node], None],
            on_start: Callable[[list[str], dict[str, str]], None]) -> None:
    """Parse ``path``, calling ``on_record`` with each finished record subtree."""
    parser = expat.ParserCreate()
    stack: list[str] = []
    building: list[_Node] = []
    keys: list[tuple[str, ...]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        tag = tag.rpartition(":")[2]  # local names: 1C writes several namespaces (§3)
        stack.append(tag)
        if building:
            node = _Node(tag, attrs, parser.CurrentLineNumber)
            building[-1].children.append(node)
            building.append(node)
            return
        on_start(stack, attrs)
        key = _record_key(stack)
        if key is not None:
            building.append(_Node(tag, attrs, parser.CurrentLineNumber))
            keys.append(key)

    def end(tag: str) -> None:
        stack.pop()
        if building:
            node = building.pop()
            if not building:
                on_record(keys.pop(), node)

    def chars(data: str) -> None:
        if building:
            building[-1].text += data

    def no_dtd(*_: Any) -> None:
        raise ExchangeError(f"{path.name}:{parser.CurrentLineNumber}: DTD в пакете "
                            "запрещён (защита от раздувания сущностей)")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise ExchangeError(f"{path.name}:{exc.lineno}: файл не является корректным XML "
                            f"({expat.ErrorString(exc.code)})") from None
    except OSError as exc:
        raise ExchangeError(f"{path.name}: не удалось прочитать файл ({exc.strerror})") from None


@define
class Package:
    """What a set of CommerceML files says: item rows for ``CatalogData`` (by 1C Ид), the
    retail price per Ид, the rejects, and whether it is a full package (``only_changes``
    False: items the store has and the package lacks are absent from 1C)."""

    rows: dict[str, dict[str, Any]] = field(factory=dict)  # 1C Ид -> catalog item row
    sources: dict[str, tuple[str, int]] = field(factory=dict)  # Ид -> (file, line)
    prices: dict[str, tuple[str, str, int, dict[str, str]]] = field(factory=dict)
    price_types: dict[str, str] = field(factory=dict)  # ИдТипаЦены -> Наименование
    rejects: list[Rejected] = field(factory=list)
    groups: dict[str, str] = field(factory=dict)
    only_changes: bool | None = None  # None: no catalog in the package
    deleted: set[str] = field(factory=set)  # Ид with Статус="Удален" / ПометкаУдаления

    def reject(self, file: str, node: _Node, path: str, reason: str) -> None:
        self.rejects.append(Rejected(file, node.line, path, reason))


def _vat(node: _Node) -> str | None:
    for rate in node.all("СтавкиНалогов", "СтавкаНалога"):
        if rate.value("Наименование").casefold() in ("ндс", "nds", "vat", ""):
            raw = rate.value("Ставка")
            return VAT_OF_1C.get(raw.casefold().replace(" ", ""), raw)
    for req in node.all("ЗначенияРеквизитов", "ЗначениеРеквизита"):
        if req.value("Наименование").casefold() == "ставкандс":
            raw = req.value("Значение")
            return VAT_OF_1C.get(raw.casefold().replace(" ", ""), raw)
    return None


def _unit(node: _Node) -> str:
    base = node.find("БазоваяЕдиница")
    if base is None:
        return "шт"
    code = base.attrs.get("Код", "").strip()
    if code in UNIT_OF_OKEI:
        return UNIT_OF_OKEI[code]
    return (base.attrs.get("НаименованиеКраткое") or base.text).strip().rstrip(".") or "шт"


def _barcodes(node: _Node) -> list[str]:
    codes = [c.text.strip() for c in node.children if c.tag == "Штрихкод" and c.text.strip()]
    for req in node.all("ЗначенияРеквизитов", "ЗначениеРеквизита"):
        if req.value("Наименование").casefold() == "штрихкод" and req.value("Значение"):
            codes.append(req.value("Значение"))
    return [c for b in codes for c in re.split(r"[,;\s]+", b) if c]


def _deleted(node: _Node) -> bool:
    return (node.attrs.get("Статус", "").casefold() == "удален"
            or node.value("ПометкаУдаления").casefold() == "true"
            or node.value("Статус").casefold() == "удален")


def read_package(paths: Iterable[Path], *, price_type: str | None = None) -> Package:
    """Read CommerceML files (any order; dispatched on content, not name) into a Package.
    ``price_type``: the ТипЦены (Ид or Наименование) that is the till's retail price; by
    default the first one the offers declare."""
    pkg = Package()
    files = sorted(paths, key=lambda p: (not _has_catalog(p), p.name))
    for path in files:
        name = path.name

        def on_start(stack: list[str], attrs: dict[str, str], name: str = name) -> None:
            if stack[-1] == "Каталог" and len(stack) == 2:
                pkg.only_changes = attrs.get("СодержитТолькоИзменения", "false") == "true"

        def on_record(key: tuple[str, ...], node: _Node, name: str = name) -> None:
            _record(pkg, name, key, node, price_type)

        _stream(path, on_record, on_start)
    return pkg


def _has_catalog(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return "<Каталог".encode() in head or "<Каталог".encode("cp1251") in head \
        or "<Классификатор".encode() in head or "<Классификатор".encode("cp1251") in head


def _record(pkg: Package, file: str, key: tuple[str, ...], node: _Node,
            price_type: str | None) -> None:
    if key[-1] == "Группа":
        gid = node.value("Ид")
        if gid:
            pkg.groups[gid] = node.value("Наименование") or gid
        for sub in node.all("Группы", "Группа"):  # nested groups arrive inside this one
            _record(pkg, file, key, sub, price_type)
        return
    if key[-1] == "ТипЦены":
        pkg.price_types[node.value("Ид")] = node.value("Наименование")
        return
    iid = node.value("Ид")
    where = f"{'/'.join(key[-3:])}[Ид={iid}]"
    if not iid:
        pkg.reject(file, node, where, "нет Ид")
        return
    if key[-1] == "Товар":
        _item(pkg, file, node, iid, where)
    else:
        _offer(pkg, file, node, iid, where, price_type)


def _item(pkg: Package, file: str, node: _Node, iid: str, where: str) -> None:
    if _deleted(node):
        pkg.deleted.add(iid)
        return
    article = node.value("Артикул")
    codes = _barcodes(node)
    if not article and not codes:
        pkg.reject(file, node, where, "нет штрихкода и артикула")
        return
    vat = _vat(node)
    if vat is None:
        pkg.reject(file, node, where, "нет ставки НДС (СтавкиНалогов/СтавкаНалога)")
        return
    group_ids = [g.text.strip() for g in node.all("Группы", "Ид")]
    # only what the element carries: an incremental Товар without Группы keeps its group
    row: dict[str, Any] = {"code": article or codes[0], "name": node.value("Наименование"),
                           "vat": vat}
    if node.find("БазоваяЕдиница") is not None:
        row["unit"] = _unit(node)
    if codes:
        row["barcodes"] = codes
    if group_ids:
        row["group"] = pkg.groups.get(group_ids[0], group_ids[0])
    pkg.rows[iid] = row
    pkg.sources[iid] = (file, node.line)


def _offer(pkg: Package, file: str, node: _Node, iid: str, where: str,
           price_type: str | None) -> None:
    wanted = price_type or next(iter(pkg.price_types), None)
    chosen = None
    for price in node.all("Цены", "Цена"):
        tid = price.value("ИдТипаЦены")
        if wanted is None or wanted in (tid, pkg.price_types.get(tid)):
            chosen = price
            break
    if chosen is None:
        return  # no retail price in this offer: the price is left as it is
    value = chosen.value("ЦенаЗаЕдиницу").replace(",", ".").replace(" ", "")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", value):
        pkg.reject(file, chosen, where, f"цена «{value}» — не сумма в рублях")
        return
    hint = {"article": node.value("Артикул"), "barcodes": ";".join(_barcodes(node)),
            "name": node.value("Наименование")}
    pkg.prices[iid] = (file, value, node.line, hint)


def rows_of(pkg: Package, known: Mapping[str, Mapping[str, Any]],
            by_barcode: Callable[[str], Mapping[str, Any] | None]) -> tuple[
                list[dict[str, Any]], list[tuple[str, int, str]], list[Rejected]]:
    """The package as item rows for the catalog import: an offer's price goes into its
    item's row; an offer whose item is not in this package is matched to the store's item by
    article (``known``: code -> row) or barcode. Returns the rows, each row's (file, line,
    path) and rejects of offers matching nothing."""
    rows: dict[str, dict[str, Any]] = {k: dict(v) for k, v in pkg.rows.items()}
    where = {k: (*pkg.sources[k], f"Каталог/Товары/Товар[Ид={k}]") for k in rows}
    rejects: list[Rejected] = []
    for iid, (file, price, line, hint) in pkg.prices.items():
        offer = f"ПакетПредложений/Предложения/Предложение[Ид={iid}]"
        base = iid.split("#", 1)[0]  # Ид#ИдХарактеристики: a characteristic of the item
        row = rows.get(iid) or rows.get(base)
        if row is None:
            store = known.get(hint["article"]) if hint["article"] else None
            if store is None:
                store = next((r for b in hint["barcodes"].split(";") if b
                              and (r := by_barcode(b)) is not None), None)
            if store is None:
                rejects.append(Rejected(file, line, offer,
                                        "товар не найден ни в пакете, ни в каталоге"))
                continue
            row = dict(store)
            rows[iid] = row
            where[iid] = (file, line, offer)
        row["price"] = price
    keys = list(rows)
    return [rows[k] for k in keys], [where[k] for k in keys], rejects
