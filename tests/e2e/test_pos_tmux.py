"""The cashier's till in a real terminal: `kassa pos till --demo` in tmux at 80x24, signed
in with the demo cashier's PIN, the shift opened, an item scanned (tmux types the code as
fast as a keyboard-wedge scanner), paid in cash, the receipt made by the demo's
ATOL emulator; Ctrl+Q stops the till and its hub with exit 0. CI needs tmux."""

from __future__ import annotations

import os
import sys
import uuid

import pytest

from ..tmux import needs_tmux, screen_shows, tmux

pytestmark = [pytest.mark.anyio, needs_tmux]


async def shows(session: str, text: str, within: float = 30.0) -> str:
    return await screen_shows(session, text, within)


async def keys(session: str, *k: str) -> None:
    await tmux("send-keys", "-t", session, *k)


async def test_a_check_sold_end_to_end_at_the_till(tmp_path) -> None:
    session = f"kassa-till-{uuid.uuid4().hex[:8]}"
    kassa = os.path.join(os.path.dirname(sys.executable), "kassa")
    env = {**os.environ, "TERM": "xterm-256color", "KASSA_CACHE_DIR": str(tmp_path)}
    cmd = f"{kassa} pos till --demo; echo EXITED-$?; sleep 30"
    await tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", cmd, env=env)
    try:
        await shows(session, "вход кассира", within=90)
        await keys(session, "9999", "Enter")
        await shows(session, "не подходят")
        await keys(session, "1111", "Enter")
        await shows(session, "Размен")
        await keys(session, "Enter")  # an opening float of 0
        await shows(session, "Штрихкод, PLU или код")
        await keys(session, "4609495392162", "Enter")  # the scanner's burst
        await shows(session, "Рис длиннозёрный")
        await keys(session, "2*", "4662413793762", "Enter")
        screen = await shows(session, "Мука пшеничная")
        assert "Итого:" in screen
        await keys(session, "F2")
        await shows(session, "К оплате")
        await keys(session, "F2")  # the rest in cash
        await shows(session, "Внесено полностью")
        await keys(session, "Enter")
        await shows(session, "пробит", within=60)
        await keys(session, "Enter")
        await shows(session, "оплачен")
        await keys(session, "C-q")
        await shows(session, "EXITED-0", within=60)
    finally:
        await tmux("kill-session", "-t", session)
