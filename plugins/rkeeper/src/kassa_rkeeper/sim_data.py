"""Reference books of the simulated restaurant: a sushi bar menu, staff, stations, reasons."""

from __future__ import annotations

from typing import Any

from attrs import field, frozen


@frozen
class RefItem:
    ident: int
    code: str
    name: str
    guid: str = ""
    status: str = "rsActive"
    props: dict[str, str] = field(factory=dict)  # extra attributes shown with PropMask="*"


def _guid(kind: int, ident: int) -> str:
    return f"{{{kind:08X}-0000-4000-8000-{ident:012X}}}"


def _items(kind: int, rows: list[tuple[Any, ...]]) -> tuple[RefItem, ...]:
    out = []
    for ident, code, name, *rest in rows:
        props = rest[0] if rest else {}
        out.append(RefItem(ident, str(code), name, _guid(kind, ident), props=props))
    return tuple(out)


def _menu(rows: list[tuple[str, str, str, str]]) -> list[tuple[Any, ...]]:
    return [(1000 + i, 100 + i, name, {"Price": price, "CategPath": categ, "Kind": kind})
            for i, (price, categ, kind, name) in enumerate(rows, start=1)]


# price in kopecks as text (how the reference exports it), category, kitchen/bar
MENUITEMS = _items(1, _menu([
    ("29000", "Запеченные роллы", "kitchen", "Запеченный ролл с курицей"),
    ("36000", "Запеченные роллы", "kitchen", "Запеченный ролл Нежный с лососем"),
    ("43000", "Запеченные роллы", "kitchen", "Запеченный ролл с угрем"),
    ("41000", "Роллы", "kitchen", "Ролл Бонито"),
    ("65000", "Роллы", "kitchen", "Горячая Филадельфия ролл"),
    ("21000", "Роллы", "kitchen", "Маки ролл с лососем и сливочным сыром"),
    ("59000", "Роллы", "kitchen", "Филадельфия классика"),
    ("48000", "Роллы", "kitchen", "Калифорния с крабом"),
    ("18000", "Суши", "kitchen", "Суши с лососем"),
    ("22000", "Суши", "kitchen", "Суши с угрем"),
    ("32000", "Супы", "kitchen", "Мисо суп"),
    ("49000", "Супы", "kitchen", "Том ям с креветками"),
    ("39000", "Горячее", "kitchen", "Лапша удон с курицей"),
    ("27000", "Закуски", "kitchen", "Эдамаме"),
    ("15000", "Напитки", "bar", "Зеленый чай"),
    ("19000", "Напитки", "bar", "Морс клюквенный"),
    ("35000", "Напитки", "bar", "Пиво Асахи"),
    ("24000", "Десерты", "kitchen", "Моти манго"),
]))

# login name, role, password, HTTPS access right
EMPLOYEES = _items(2, [
    (1, 1, "kassa", {"Role": "Интеграция", "Password": "kassa", "HTTPSAccess": "1"}),
    (2, 2, "Кузнецов Игорь", {"Role": "Менеджер", "Password": "2222", "HTTPSAccess": "0"}),
    (11, 11, "Иванова Анна", {"Role": "Официант", "Password": "11", "HTTPSAccess": "0"}),
    (12, 12, "Петров Сергей", {"Role": "Официант", "Password": "12", "HTTPSAccess": "0"}),
    (13, 13, "Смирнова Ольга", {"Role": "Официант", "Password": "13", "HTTPSAccess": "0"}),
    (21, 21, "Соколова Мария", {"Role": "Кассир", "Password": "21", "HTTPSAccess": "0"}),
])
MANAGER_ID = 2
WAITER_IDS = (11, 12, 13)
CASHIER_ID = 21

CASHES = _items(3, [
    (15001, 1, "Касса 1", {"NetName": "CASH01"}),
    (15002, 2, "Касса 2 Бар", {"NetName": "CASH02"}),
])
SERVER_ID = 15000

TABLES = _items(4, [(100 + n, n, f"Стол {n}", {"Hall": "Основной зал"}) for n in range(1, 13)])

CURRENCIES = _items(5, [
    (1, 1, "Наличные", {"CurrencyType": "cash"}),
    (2, 2, "Банковская карта", {"CurrencyType": "card"}),
    (3, 3, "Бонусы", {"CurrencyType": "bonus"}),
])

# percent in basis points; loyalty discounts are charged by the PDS interface
DISCOUNTS = _items(6, [
    (1, 1, "Скидка 10%", {"Percent": "1000", "Loyalty": "0"}),
    (2, 2, "Скидка сотрудника 20%", {"Percent": "2000", "Loyalty": "0"}),
    (3, 3, "Бонусная карта 5%", {"Percent": "500", "Loyalty": "1"}),
])

ORDERVOIDS = _items(7, [
    (1, 1, "Ошибка официанта", {"ImplOnDishReturn": "1"}),
    (2, 2, "Отказ гостя", {"ImplOnDishReturn": "1"}),
    (3, 3, "Гость ушел", {"ImplOnBillCancel": "1"}),
    (4, 4, "Ошибка кассира", {"ImplOnCheckVoid": "1", "ImplOnBillCancel": "1"}),
    (5, 5, "Возврат гостю", {"ImplOnCheckUndo": "1"}),
])

UNCHANGEABLEORDERTYPES = _items(8, [
    (1, 1, "Основная"),
    (2, 2, "Банкет"),
    (3, 3, "Доставка"),
])

PRINTERS = {"kitchen": "Кухня", "bar": "Бар"}

DEVICES = _items(9, [(501, 1, "PDS interface", {"DeviceType": "PDS"})])

# order types (GetOrder <OrderType>, GetOrderList OrderTypeID/Code/Name): one hall service
CHANGEABLEORDERTYPES = _items(11, [(1, 1, "В зале")])

# employee roles (GetOrder <Waiter><Role/>), named in EMPLOYEES' "Role"
ROLES = _items(12, [(1, 1, "Интеграция"), (2, 2, "Менеджер"), (3, 3, "Официант"),
                    (4, 4, "Кассир")])


def restaurants(code: str, name: str) -> tuple[RefItem, ...]:
    return _items(10, [(1, code, name)])


BOOKS: dict[str, tuple[RefItem, ...]] = {
    "MENUITEMS": MENUITEMS, "EMPLOYEES": EMPLOYEES, "CASHES": CASHES, "TABLES": TABLES,
    "CURRENCIES": CURRENCIES, "DISCOUNTS": DISCOUNTS, "ORDERVOIDS": ORDERVOIDS,
    "UNCHANGEABLEORDERTYPES": UNCHANGEABLEORDERTYPES, "DEVICES": DEVICES,
    "CHANGEABLEORDERTYPES": CHANGEABLEORDERTYPES, "ROLES": ROLES,
}
# the collection a missing item is reported in ("Не найден элемент N в коллекции Employees")
COLLECTIONS = {"MENUITEMS": "MenuItems", "EMPLOYEES": "Employees", "CASHES": "Cashes",
               "TABLES": "Tables", "CURRENCIES": "Currencies", "DISCOUNTS": "Discounts",
               "ORDERVOIDS": "OrderVoids", "UNCHANGEABLEORDERTYPES": "UnchangeableOrderTypes",
               "CHANGEABLEORDERTYPES": "ChangeableOrderTypes", "DEVICES": "Devices",
               "ROLES": "Roles"}


def by_ident(book: str, ident: int | str) -> RefItem | None:
    return next((i for i in BOOKS[book] if i.ident == int(ident)), None)


def resolve(book: str, ident: str | None = None, code: str | None = None,
            guid: str | None = None) -> RefItem | None:
    """A refItem as r_keeper takes it (rkeeper.md 1.5): any one of ``id`` (Ident), ``code`` or
    ``guid`` (GUIDString), never the name. The first one given is the one looked up."""
    items = BOOKS[book]
    if ident:
        return next((i for i in items if str(i.ident) == ident.strip()), None)
    if code:
        return next((i for i in items if i.code == code.strip()), None)
    if guid:
        return next((i for i in items if i.guid.upper() == guid.strip().upper()), None)
    return None


def role_of(employee: RefItem) -> RefItem | None:
    return next((r for r in ROLES if r.name == employee.props.get("Role")), None)
