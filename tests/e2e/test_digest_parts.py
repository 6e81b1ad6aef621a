"""A digest too long for one message goes out in parts; when a part fails, the retry sends
only the parts still missing, in order, on both messengers (it used to re-fold and resend the
whole digest: over a thousand repeated alert lines under faults)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from kassa.model import Event, Severity
from kassa.testing import eventually

from tests.e2e.stack import ChatView, running

pytestmark = pytest.mark.anyio

TOKEN = re.compile(r"E\d{3}")
LONG_NAME = ("Константинопольская-Преображенская Анастасия Александровна, старший кассир "
             "второй смены, замещающая администратора зала по выходным и праздничным дням")
QUIET: dict[str, list[str]] = {"alerts": []}


def heard(chat: ChatView) -> list[str]:
    return [t for m in chat.received() for t in TOKEN.findall(m.text)]


async def test_a_failed_part_is_the_only_part_sent_again(tmp_path):
    async with running(tmp_path, rkeeper=False, site_chat={"alerts": ["*"]},
                       owners_chat=QUIET) as stack:
        # the 3rd send is the digest's 2nd part: the 1st alert went alone, then the digest
        # of the rest (~230 visible characters a line: 2 parts, fewer than 40 lines)
        stack.telegram.faults.add("server_error", method="sendmessage", skip=2)
        stack.max.fail_next(1, "503", path="/messages", after=2)

        async def alert(i: int) -> None:
            await stack.hub.emit(Event(site="r1", kind="crash_test_alert", source_key=f"E{i:03d}",
                                       occurred_at=datetime.now(UTC), severity=Severity.DANGER,
                                       order=f"E{i:03d}", employee=LONG_NAME, amount=100 * i))

        for i in range(30):
            await alert(i)
        await eventually(lambda: not stack.telegram.faults.queue and not stack.max.faults,
                         hub=stack.hub, within=30)
        n = 36
        for i in range(30, n):  # news while the digest waits for its retry: not folded in
            await alert(i)
        await stack.delivered(seconds=60)
        for chat in stack.views("r1"):
            await eventually(lambda c=chat: len(set(heard(c))) == n, hub=stack.hub)
            tokens = heard(chat)
            parts = len(chat.received())
            assert parts >= 3, (chat.channel, parts)  # the alert, then a digest in 2+ parts
            assert tokens == sorted(tokens), chat.channel  # in order
            assert len(tokens) == n, (chat.channel, len(tokens) - n)  # no line twice
    assert not stack.telegram.faults.queue  # the faults really happened
    assert not stack.max.faults
