"""A reference loyalty programme: guests by phone or card, 5 % of an order earned as bonus,
up to half an order spent from the balance; postings idempotent on their key (as a ledger
keeping the key with the posting is), reversals once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

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

    def balance(self, guest_id: str) -> int:
        return int(self.far.state("ledger", {"balances": {}})["balances"].get(guest_id, 0))

    async def identify(self, identifier: str) -> Guest | None:
        if identifier in self.blocked:
            raise UserError(f"card {identifier} is blocked: {self.blocked[identifier]}")
        found = self.guests.get(identifier)
        return None if found is None else Guest(id=found[0])

    async def quote(self, order: Order, guest: Guest) -> Quote:
        return Quote(guest_id=guest.id, bonus_earn=order.total * EARN_PERCENT // 100,
                     bonus_spend_max=min(self.balance(guest.id), order.total // SPEND_SHARE))

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
