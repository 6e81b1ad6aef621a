"""The store's client register: the chain's cards as the centre last sent them (reference
package kind ``clients``, ``chain/clients.py``), so a store identifies a guest's card while
the loyalty programme is out of reach.

Precedence (``find``): the live programme's answer wins whenever it answers (a guest, or a
blocked card's ``UserError``); the register is read only when the programme does not answer
(``RetryLater``), when the till has none, or when it does not know the card. A guest found
there is an *offline* guest (``GuestCard.offline``): the groups' discounts and the message
rules (birthday) work, there is no quote, no balance, and bonus points are neither earned
nor spent. A card blocked in the register is refused in one sentence.

What a row keeps is what the till needs and no more: the card, the guest's id, the name as
the cashier sees it, the consumer groups, the birthday's day and month (no year) and the
blocked flag. None of it is logged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from attrs import frozen
from kassa.errors import RetryLater, UserError
from kassa.model import Guest, Identifier, IdentifierKind

from kassa_pos.engine.client import ClientService, GuestCard, mask

metadata = sa.MetaData()
client_t = sa.Table(  # the store: the applied ``clients`` package, one row per card
    "pos_ref_client", metadata,
    sa.Column("card", sa.String(64), primary_key=True),
    sa.Column("guest", sa.String(128), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("groups", sa.Text, nullable=False),  # JSON list of consumer groups
    sa.Column("birthday", sa.String(5)),  # "MM-DD": the day the rules need, not the year
    sa.Column("blocked", sa.Boolean, nullable=False),
)
# the year a register guest's ``birthday`` carries: a leap year, so 29 February is kept
YEAR = 2000

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "blocked": "Карта {card} заблокирована в справочнике клиентов магазина.",
        "unknown_down": "Программа лояльности не отвечает, а карты {card} нет в справочнике "
                        "клиентов магазина.",
        "unknown_none": "Карты {card} нет в справочнике клиентов магазина, а на кассе нет "
                        "программы лояльности.",
        "offline": "Гость найден в справочнике клиентов магазина, а не программой "
                   "лояльности: скидки его групп действуют, а бонусы начислить и списать "
                   "нельзя.",
    },
    "en": {
        "blocked": "Card {card} is blocked in the store's client register.",
        "unknown_down": "The loyalty programme does not answer and card {card} is not in the "
                        "store's client register.",
        "unknown_none": "Card {card} is not in the store's client register and the till has "
                        "no loyalty programme.",
        "offline": "The guest was found in the store's client register, not by the loyalty "
                   "programme: their groups' discounts apply, but points can be neither "
                   "earned nor spent.",
    },
}


def say(locale: str, key: str, **kw: Any) -> str:
    return TEXTS["en" if locale == "en" else "ru"][key].format(**kw)


class UnknownCard(UserError):
    """Nobody at the till can tell whose the card is (the programme down or absent, the
    register without it): one sentence."""


@frozen
class Entry:
    """One card of the register."""

    card: str
    guest: str
    name: str = ""
    groups: tuple[str, ...] = ()
    birthday: str | None = None  # "MM-DD"
    blocked: bool = False

    def as_guest(self) -> Guest:
        """The guest as the check carries them (no personal data beyond the row's)."""
        born = None
        if self.birthday:
            month, day = self.birthday.split("-")
            born = date(YEAR, int(month), int(day))
        return Guest(id=self.guest, name=self.name, birthday=born, groups=self.groups,
                     identifiers=(Identifier(IdentifierKind.CARD, self.card),))


def lookup(conn: Any, card: str) -> Entry | None:
    """The register's row of ``card`` (a synchronous connection); None: not there."""
    row = conn.execute(sa.select(client_t).where(client_t.c.card == card)).first()
    if row is None:
        return None
    return Entry(card=row.card, guest=row.guest, name=row.name,
                 groups=tuple(json.loads(row.groups)), birthday=row.birthday,
                 blocked=bool(row.blocked))


def replace(conn: Any, entries: Sequence[Entry]) -> None:
    """The whole register replaced, in the caller's write transaction."""
    conn.execute(client_t.delete())
    if entries:
        conn.execute(client_t.insert(), [
            {"card": e.card, "guest": e.guest, "name": e.name,
             "groups": json.dumps(list(e.groups), ensure_ascii=False),
             "birthday": e.birthday, "blocked": e.blocked} for e in entries])


async def find(hub: Any, client: ClientService | None, identifier: str, *,
               locale: str = "ru", no_client: UserError | None = None) -> GuestCard | None:
    """The guest a scanned card names, by the precedence of the module's doc. None: the
    programme answered that nobody has the card and the register has no row for it either
    (a card to issue). ``UserError``: the programme's refusal, a card blocked in the
    register; ``UnknownCard``: the programme down (or ``no_client``: none) and the card not
    in the register."""
    typed = identifier.strip()
    down = client is None
    if client is not None:
        try:
            found = await client.show(typed)
        except RetryLater:
            down = True
        else:
            if found is not None:
                return found
    async with hub.engine.connect() as conn:
        entry = await conn.run_sync(lambda c: lookup(c, typed))
    if entry is None:
        if not down:
            return None
        key = "unknown_none" if client is None else "unknown_down"
        raise UnknownCard(say(locale, key, card=mask(typed))) from no_client
    if entry.blocked:
        raise UserError(say(locale, "blocked", card=mask(typed)))
    return GuestCard(entry.as_guest(), 0, offline=True)
