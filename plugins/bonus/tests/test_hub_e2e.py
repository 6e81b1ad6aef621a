"""The plugin inside the real core hub (kassa.testing.make_hub): settings from a config dict,
startup on the hub's engine, hooks wired, REST on the hub's HTTP server. FarCards-HTTP is the
r_keeper plugin's now (plugins/rkeeper/tests/test_farcards*.py): the admin API never serves
it, and the old ``[bonus.farcards]`` keys are one sentence saying where they went."""

from __future__ import annotations

import httpx
import kassa_bonus
import pytest
from kassa.config import parse
from kassa.errors import ConfigError
from kassa.testing import make_hub
from kassa_bonus.settings import BonusSettings

pytestmark = pytest.mark.anyio
FORGED_EARN = (b'<?xml version="1.0" encoding="UTF-8"?><ROOT><Transactions><TransactionsEx '
               b'Card="4455" Kind="2" Summa="5000000"/></Transactions><InpBuf/></ROOT>')


async def test_bonus_in_the_real_hub(tmp_path):
    config = {"bonus": {"welcome_bonus": 10000,
                        "api_keys": [{"name": "site", "key": "k-123456", "scopes": ["admin"]}]}}
    async with make_hub(config, tmp_path, plugins=[kassa_bonus], api=True) as hub:
        program = hub.loyalty_programs["bonus"]
        assert set(hub.payment_methods) >= {"bonus", "deposit"}
        base = f"http://127.0.0.1:{hub.api_port}"
        async with httpx.AsyncClient(base_url=base) as c:
            r = await c.post("/api/bonus/v1/guests", json={"name": "Anna", "card": "4455"},
                             headers={"X-Api-Key": "k-123456", "Idempotency-Key": "g1"})
            assert r.status_code == 201, r.text
            # the admin API no longer serves the tills, with or without its token
            for headers, status in (({}, (401, 404)),
                                    ({"Authorization": "Bearer test-token"}, (404,))):
                r = await c.post("/farcards/transactionsex", headers=headers,
                                 content=FORGED_EARN)
                assert r.status_code in status, r.text
                assert b"TransactionsEx" not in r.content
        guest = await program.identify("4455")
        assert guest.accounts and next(a for a in guest.accounts
                                       if a.kind == "bonus").balance == 10000
        assert next(a for a in (await program.identify("4455")).accounts
                    if a.kind == "bonus").balance == 10000  # the forged earn posted nothing
        assert "farcards" not in hub.state("bonus")


@pytest.mark.parametrize(("key", "value", "says"), [
    ("farcards", {"port": 8770, "tills": [{"name": "r1", "key": "k" * 20}]},
     "move the [bonus.farcards] table to [farcards]"),
    ("farcards_discounts", {"vip": 7}, "[[farcards.routes]] discounts"),
    ("farcards_payment_account", "debit", "[[farcards.routes]] payment"),
])
def test_the_old_farcards_keys_say_where_they_moved(key, value, says):
    with pytest.raises(ConfigError, match="served by the r_keeper plugin now") as err:
        parse({"bonus": {key: value}}, sections={"bonus": BonusSettings})
    assert says in str(err.value) and f"bonus: {key}:" in str(err.value)


def test_the_old_issue_range_key_still_reads():
    s = parse({"bonus": {"farcards_issue_ranges": ["7788000-7788999"]}},
              sections={"bonus": BonusSettings}).plugins["bonus"]
    assert s.issue_ranges == ["7788000-7788999"] and s.issues("7788001")
    assert not s.issues("7789000") and not s.issues("phone")


def test_bad_issue_range_is_refused():
    with pytest.raises(ConfigError, match="is not a card range"):
        parse({"bonus": {"farcards_issue_ranges": ["7788-77"]}},
              sections={"bonus": BonusSettings})
