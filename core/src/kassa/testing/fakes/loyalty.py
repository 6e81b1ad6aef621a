"""A reference loyalty programme: guests by phone or card, 5 % of an order earned as bonus,
up to half an order spent from the balance; postings idempotent on their key (as a ledger
keeping the key with the posting is), reversals once. It is also a ``GuestService``: cards
issued, blocked and replaced at a till, and a questionnaire kept only with consent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kassa import codec
from kassa.errors import UserError
from kassa.model import Guest, Order, Posting, Quote
from kassa.testing.fakes.far import FarEnd

EARN_PERCENT = 5
SPEND_SHARE = 2  # at most 1/2 of an order from the balance


class FakeLoyalty:
    """``guests``: identifier -> (guest id, balance in kopecks); ``blocked``: identifiers
    that are refused with a reason."""

    def __init__(self, name: str = "fake-loyalty", *, guests: dict[str, tuple[str, int]]
                 | None = None, blocked: dict[str, str] | None = None,
                 path: str | Path | None = None) -> None:
        self.name = name
        self.far = FarEnd(path)
        self.guests = dict(guests or {})
        self.blocked = dict(blocked or {})
        if not self.far.effects():
            self.far.put_state("ledger", {"balances": {g: b for g, b in self.guests.values()}})

    def effects(self, kind: str | None = None) -> int:
        return len(self.far.effects(kind))

    async def balance(self, guest_id: str) -> int:
        return self.points(guest_id)

    def points(self, guest_id: str) -> int:
        return int(self.far.state("ledger", {"balances": {}})["balances"].get(guest_id, 0))

    async def identify(self, identifier: str) -> Guest | None:
        if identifier in self.blocked:
            raise UserError(f"card {identifier} is blocked: {self.blocked[identifier]}")
        card = self._book()["cards"].get(identifier)
        if card is not None:
            if card["status"] != "active":
                raise UserError(f"card {identifier} is {card['status']}: {card['reason']}")
            return self._guest(card["guest"])
        found = self.guests.get(identifier)
        return None if found is None else self._guest(found[0])

    # --- GuestService ------------------------------------------------------------------------
    _PERSONAL = ("name", "email", "birthday", "groups")

    def _book(self) -> dict[str, Any]:
        return self.far.state("guests", {"cards": {}, "profiles": {}})

    def _guest(self, guest_id: str) -> Guest:
        p = self._book()["profiles"].get(guest_id, {})
        born = p.get("birthday")
        return Guest(id=guest_id, name=p.get("name") or "", email=p.get("email"),
                     birthday=date.fromisoformat(born) if born else None,
                     groups=tuple(p.get("groups") or ()), consent=bool(p.get("consent")))

    def _replay(self, key: str, request: dict[str, Any]) -> Guest | None:
        done = self.far.find(key, ("issue", "update", "block", "replace"))
        if done is None:
            return None
        if done["request"] != request:
            raise UserError(f"key {key} reused with other parameters")
        return self._guest(done["guest"])

    async def issue_card(self, card: str, key: str) -> Guest:
        request = {"op": "issue", "card": card}
        if (prior := self._replay(key, request)) is not None:
            return prior
        book = self._book()
        if card in book["cards"] or card in self.guests:
            raise UserError(f"card {card} is already issued")
        gid = f"g{len(self.far.effects('issue')) + 1}-{card}"
        book["cards"][card] = {"guest": gid, "status": "active", "reason": None}
        book["profiles"][gid] = {"consent": False}
        self.far.record(key, "issue", {"request": request, "guest": gid}, state=("guests", book))
        return self._guest(gid)

    async def update_guest(self, guest_id: str, key: str, *, consent: bool,
                           name: str | None = None, email: str | None = None,
                           birthday: date | None = None,
                           groups: Sequence[str] | None = None) -> Guest:
        fields = {"name": name, "email": email,
                  "birthday": birthday.isoformat() if birthday else None,
                  "groups": sorted(groups) if groups is not None else None}
        given = {k: v for k, v in fields.items() if v is not None}
        request = {"op": "update", "guest": guest_id, "consent": consent, **given}
        if (prior := self._replay(key, request)) is not None:
            return prior
        if given and not consent:
            raise UserError("personal data needs the guest's consent")
        book = self._book()
        if guest_id not in book["profiles"] and \
                guest_id not in {g for g, _ in self.guests.values()}:
            raise UserError(f"no guest {guest_id}")
        profile = book["profiles"].setdefault(guest_id, {})
        if consent:
            profile.update(given, consent=True)
        else:  # consent withdrawn: what it covered goes
            book["profiles"][guest_id] = {"consent": False}
        self.far.record(key, "update", {"request": request, "guest": guest_id},
                        state=("guests", book))
        return self._guest(guest_id)

    def _card(self, book: dict[str, Any], card: str) -> dict[str, Any]:
        if card not in book["cards"]:
            found = self.guests.get(card)
            if found is None:
                raise UserError(f"no card {card}")
            book["cards"][card] = {"guest": found[0], "status": "active", "reason": None}
        held: dict[str, Any] = book["cards"][card]
        if held["status"] != "active":
            raise UserError(f"card {card} is {held['status']}")
        return held

    async def block_card(self, card: str, reason: str, key: str) -> Guest:
        request = {"op": "block", "card": card, "reason": reason}
        if (prior := self._replay(key, request)) is not None:
            return prior
        if not reason.strip():
            raise UserError("blocking a card needs a reason")
        book = self._book()
        held = self._card(book, card)
        held.update(status="blocked", reason=reason)
        self.far.record(key, "block", {"request": request, "guest": held["guest"]},
                        state=("guests", book))
        return self._guest(held["guest"])

    async def replace_card(self, old: str, new: str, key: str, reason: str = "replaced",
                           ) -> Guest:
        request = {"op": "replace", "old": old, "new": new, "reason": reason}
        if (prior := self._replay(key, request)) is not None:
            return prior
        book = self._book()
        held = self._card(book, old)
        if new in book["cards"] or new in self.guests:
            raise UserError(f"card {new} is already issued")
        held.update(status="replaced", reason=reason)
        # balances are the guest's: the new card points at them (one state write)
        book["cards"][new] = {"guest": held["guest"], "status": "active", "reason": None}
        self.far.record(key, "replace", {"request": request, "guest": held["guest"]},
                        state=("guests", book))
        return self._guest(held["guest"])

    async def quote(self, order: Order, guest: Guest) -> Quote:
        return Quote(guest_id=guest.id, bonus_earn=order.total * EARN_PERCENT // 100,
                     bonus_spend_max=min(self.points(guest.id), order.total // SPEND_SHARE))

    async def commit(self, order: Order, quote: Quote, key: str, spend: int = 0) -> Posting:
        request = codec.json_dumps({"order": order.number, "total": order.total,
                                    "guest": quote.guest_id, "spend": spend})
        done = self.far.find(key)
        if done is not None:
            if done["request"] != request:
                raise UserError(f"posting key {key} reused with other parameters")
            return codec.from_dict(done["posting"], Posting)
        if spend > quote.bonus_spend_max:
            raise UserError(f"spend {spend} is more than allowed ({quote.bonus_spend_max})")
        st = self.far.state("ledger", {"balances": {}})
        earned = (order.total - spend) * EARN_PERCENT // 100
        st["balances"][quote.guest_id] = st["balances"].get(quote.guest_id, 0) - spend + earned
        posting = Posting(id=f"p{self.effects() + 1}", key=key, guest_id=quote.guest_id,
                          earned=earned, spent=spend, created_at=datetime.now(UTC))
        self.far.record(key, "commit", {"request": request, "posting": codec.to_dict(posting)},
                        state=("ledger", st))
        return posting

    async def reverse(self, posting: Posting, key: str) -> Posting:
        done = self.far.find(key)
        if done is not None:
            return codec.from_dict(done["posting"], Posting)
        if any(b["posting"].get("reversed_by") == posting.id for _, _, b in self.far.effects()):
            raise UserError(f"posting {posting.id} is already reversed")
        st = self.far.state("ledger", {"balances": {}})
        st["balances"][posting.guest_id] = (st["balances"].get(posting.guest_id, 0)
                                            + posting.spent - posting.earned)
        undo = Posting(id=f"p{self.effects() + 1}", key=key, guest_id=posting.guest_id,
                       earned=-posting.earned, spent=-posting.spent,
                       created_at=datetime.now(UTC), reversed_by=posting.id)
        self.far.record(key, "reverse", {"request": posting.id, "posting": codec.to_dict(undo)},
                        state=("ledger", st))
        return undo
