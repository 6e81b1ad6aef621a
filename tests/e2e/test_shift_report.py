"""The shift-close report counts every check of the shift, including one closed in the same
second as the shift (r_keeper stamps times to whole seconds)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from kassa.model import Event
from kassa_rkeeper.kinds import Kind

from tests.e2e.stack import running

pytestmark = pytest.mark.anyio

CLOSE = datetime.now(UTC).replace(microsecond=0)
@pytest.mark.parametrize("seconds_before_close", [1, 0])
async def test_shift_report_counts_checks_up_to_the_close(tmp_path, seconds_before_close):
    site = {"alerts": [], "auto_reports": ["system_balance"]}
    async with running(tmp_path, rkeeper=False, site_chat=site,
                       owners_chat={"alerts": []}) as stack:
        at = CLOSE - timedelta(seconds=seconds_before_close)
        await stack.hub.emit(Event.of(
            site="r1", kind=Kind.CHECK_CLOSED, source_key="check:{G1}:closed",
            occurred_at=at, amount=100_000, order="501/1",
            data={"guests": 2, "shift": "1", "payments": [
                {"currency": "Наличные", "type": "cash", "amount": 100_000}]}))
        await stack.hub.emit(Event.of(
            site="r1", kind=Kind.SHIFT_CLOSED, source_key="shift:1", occurred_at=CLOSE,
            data={"shift": "1"}))
        await stack.delivered()
        chat = stack.chat("telegram", "r1")
        [report] = [m.text for m in chat.received()]
        assert re.search(r"Выручка\s+1\s+1\xa0000,00\xa0₽", report), report
