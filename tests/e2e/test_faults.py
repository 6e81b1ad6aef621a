"""Flaky messengers: a fifth of the sends fail (429, 5xx, timeouts) in both simulators; every
event still reaches every chat that wants it, in order, and nothing is left dead or pending."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import anyio
import pytest
from kassa.model import Event
from kassa_rkeeper.kinds import Kind

from tests.e2e.stack import ChatView, Stack, running

pytestmark = pytest.mark.anyio

KINDS = [Kind.CHECK_DELETED, Kind.SAVED_DISH_DELETED, Kind.DISCOUNT_ADDED,
         Kind.PRECHECK_CANCELLED, Kind.QUANTITY_CHANGED]
TOKEN = re.compile(r"E\d{3}")  # each event's order number, in whole alerts and digest lines
SITES = ("r1", "r2", "r3", "r4")
PER_SITE = 8  # one a second per site: a site chat keeps up, the owners' chat gets digests
TIMEOUT = 0.4  # the channels' request timeout here; a "timeout" fault holds longer


def inject(stack: Stack, rng: random.Random, faults: int = 80) -> None:
    """After 2-6 good sends, one fails: about one send in five, for as long as the test runs."""
    for _ in range(faults):
        stack.telegram.faults.add(rng.choice(["flood", "server_error", "bad_gateway", "timeout"]),
                                  method="sendmessage", skip=rng.randint(2, 6), retry_after=1,
                                  delay=TIMEOUT + 0.2)
        stack.max.fail_next(1, rng.choice(["500", "502", "503", "timeout"]), path="/messages",
                            hold=TIMEOUT + 0.2, after=rng.randint(2, 6))
    stack.max.rate_limit(4, retry_after=0.3)  # MAX's 429s: more than 4 calls a second


def order_kept(chat: ChatView) -> tuple[set[str], int]:
    """(events heard of, repeats); fails if a message brings news older than an earlier one's.

    A repeat is a timed-out send the server carried out after all (at-least-once)."""
    seen: set[str] = set()
    newest = ""
    repeats = 0
    for m in chat.received():
        tokens = set(TOKEN.findall(m.text))
        fresh = tokens - seen
        repeats += len(tokens & seen)
        if fresh:
            assert min(fresh) > newest, (chat.channel, chat.chat_id, sorted(fresh), newest)
            newest = max(fresh)
        seen |= tokens
    return seen, repeats


async def test_a_fifth_of_sends_fail_and_everything_arrives_in_order(tmp_path):
    wanted = {"alerts": [k.value for k in KINDS]}
    slow = {"telegram": {"request_timeout": TIMEOUT}, "max": {"timeout": TIMEOUT}}
    async with running(tmp_path, sites=SITES, rkeeper=False, site_chat=wanted,
                       owners_chat=wanted, config=slow) as stack:
        inject(stack, random.Random(20))
        tg_faults, mx_faults = list(stack.telegram.faults.queue), list(stack.max.faults)
        expected: dict[str, set[str]] = {code: set() for code in SITES}
        for n in range(len(SITES) * PER_SITE):
            site = SITES[n % len(SITES)]
            token = f"E{n:03d}"
            await stack.hub.emit(Event.of(
                site=site, kind=KINDS[n % len(KINDS)], source_key=token, order=token,
                occurred_at=datetime.now(UTC), employee="Иванова <Анна>", amount=1000 * n))
            expected[site].add(token)
            await anyio.sleep(1.0 / len(SITES))
        await stack.delivered(seconds=40)

        expected["owners"] = set().union(*expected.values())
        for which, want in expected.items():
            for chat in stack.views(which):
                heard, repeats = order_kept(chat)
                assert heard == want, (chat.channel, which, sorted(want - heard))
                print(f"{chat.channel}:{which}: {len(chat.received())} messages for "
                      f"{len(want)} events, {repeats} repeated")

        # the faults really happened, at about the rate asked for
        tg_sends = sum(1 for c in stack.telegram.calls if c["method"] == "sendmessage")
        tg_failed = len(tg_faults) - len(stack.telegram.faults.queue)
        mx_fired = [f for f in mx_faults if all(f is not g for g in stack.max.faults)]
        # a held-then-dropped request never gets an answer, so the sim's log misses it
        mx_sends = sum(1 for c in stack.max.calls if c[1] == "/messages") + sum(
            1 for f in mx_fired if f.kind == "timeout")
        assert 0.1 <= tg_failed / tg_sends <= 0.35, (tg_failed, tg_sends)
        assert 0.1 <= len(mx_fired) / mx_sends <= 0.35, (len(mx_fired), mx_sends)
        print(f"telegram: {tg_failed} of {tg_sends} sends failed; max: {len(mx_fired)} of "
              f"{mx_sends} failed, {sum(1 for c in stack.max.calls if c[2] == 429)} answered 429")
        assert any(c["status"] == 429 for c in stack.telegram.calls)
        assert any(c[2] >= 500 for c in stack.max.calls)
