"""``kassa fiscal ...`` against a running test hub (its admin API on a real port) with the
fake register: Russian sentences, --json, keys that never print twice, bad input."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from click.testing import CliRunner, Result
from kassa.cli import cli

pytestmark = pytest.mark.anyio


async def kassa(hub: Any, *args: str) -> Result:
    """Run the CLI in a thread (it runs its own event loop) against ``hub``'s API."""
    where = ["--url", f"http://127.0.0.1:{hub.api_port}", "--token", "test-token"]
    argv = ["fiscal", args[0], *where, *args[1:]]
    return await anyio.to_thread.run_sync(lambda: CliRunner().invoke(cli, argv))


async def test_a_shift_day_in_russian(hub, register):
    r = await kassa(hub, "status", "--site", "s1")
    assert r.exit_code == 0, r.output
    assert "Касса «fr1», точка s1" in r.output and "Смена закрыта" in r.output
    assert "Бумага есть" in r.output and "Все документы переданы в ОФД" in r.output

    r = await kassa(hub, "open-shift", "--site", "s1", "--cashier", "Иванова")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "Смена №1 открыта на кассе «fr1» (ФД №1)."
    r = await kassa(hub, "cash-in", "5000,50", "--site", "s1")
    assert "Внесение 5\xa0000,50\xa0₽ на кассе «fr1» выполнено." in r.output, r.output
    r = await kassa(hub, "cash-out", "1000", "-s", "s1")
    assert r.exit_code == 0 and "Выплата 1\xa0000,00\xa0₽" in r.output, r.output
    r = await kassa(hub, "x-report", "-s", "s1")
    assert r.output.strip() == "X-отчёт напечатан на кассе «fr1» (смена №1)."
    r = await kassa(hub, "correction", "150", "-s", "s1", "--basis-date", "2026-11-20")
    assert r.exit_code == 0, r.output
    assert "Чек коррекции на 150,00\xa0₽ пробит на кассе «fr1» (ФД №2, ФП " in r.output

    r = await kassa(hub, "status", "-s", "s1")
    assert "Смена №1 открыта 0.0 ч назад" in r.output, r.output
    assert "Последний документ кассы «fr1»: чек коррекции" in r.output

    r = await kassa(hub, "close-shift", "-s", "s1")
    assert r.output.strip() == "Смена №1 закрыта на кассе «fr1», Z-отчёт напечатан (ФД №3)."
    assert register.effects("shift_close") == 1


async def test_json_answers_are_the_hub_s(hub, register):
    r = await kassa(hub, "open-shift", "-s", "s1", "--json")
    data = json.loads(r.output)
    assert data["register"] == "fr1" and data["replayed"] is False
    assert data["document"]["kind"] == "shift_open" and data["document"]["number"] == 1
    r = await kassa(hub, "status", "--json")
    (item,) = json.loads(r.output)
    assert item["site"] == "s1" and item["reachable"] is True
    assert item["status"]["shift_open"] is True and item["status"]["shift"] == 1
    assert item["last"]["kind"] == "shift_open"


async def test_a_repeated_key_never_prints_twice(hub, register):
    await kassa(hub, "open-shift", "-s", "s1")
    first = await kassa(hub, "x-report", "-s", "s1", "--key", "op-42")
    again = await kassa(hub, "x-report", "-s", "s1", "--key", "op-42")
    assert first.exit_code == again.exit_code == 0
    assert "повтор" not in first.output
    assert "Это повтор: касса уже выполнила эту операцию" in again.output
    assert register.effects("x_report") == 1


async def test_bad_input_is_one_russian_sentence(hub, register):
    r = await kassa(hub, "close-shift", "-s", "s1")
    assert r.exit_code == 1
    assert r.output.strip() == "Смена на кассе «fr1» закрыта: сначала откройте смену."
    r = await kassa(hub, "x-report", "-s", "s1", "-r", "nope")
    assert r.output.strip() == "Кассы «nope» нет среди подключённых (есть: fr1)."
    r = await kassa(hub, "x-report", "-s", "zz")
    assert r.output.strip() == "Точки с кодом «zz» нет в kassa.toml."
    r = await kassa(hub, "cash-in", "0,00", "-s", "s1")
    assert r.exit_code == 2 and "Сумма должна быть больше нуля" in r.output
    await kassa(hub, "open-shift", "-s", "s1")
    r = await kassa(hub, "open-shift", "-s", "s1")
    assert r.output.strip() == "Смена на кассе «fr1» уже открыта."
    register.paper_out = True
    r = await kassa(hub, "x-report", "-s", "s1")
    assert r.exit_code == 1 and "Касса «fr1» сейчас не может это сделать" in r.output
    r = await kassa(hub, "x-report", "-s", "s1", "--locale", "en")
    assert "Register “fr1” cannot do it now" in r.output
    assert register.effects("x_report") == 0


async def test_an_unreachable_hub_is_one_sentence():
    argv = ["fiscal", "status", "--url", "http://127.0.0.1:9", "--token", "x"]
    r = await anyio.to_thread.run_sync(lambda: CliRunner().invoke(cli, argv))
    assert r.exit_code == 2 and r.output.startswith("Хаб недоступен: hub http://127.0.0.1:9")


async def test_last_keeps_the_receipt_copy_and_draws_its_qr(hub, register):
    from kassa.testing.contracts import sample_receipt

    r = await kassa(hub, "last", "-s", "s1")
    assert r.output.strip() == "Касса «fr1» ещё не выдала ни одного документа через Kassa."
    await kassa(hub, "open-shift", "-s", "s1")
    doc = await hub.fiscal.receipt(sample_receipt(), key="sale-1", site="s1")
    await kassa(hub, "x-report", "-s", "s1")
    r = await kassa(hub, "last", "-s", "s1")
    assert "Последний документ кассы «fr1»: X-отчёт" in r.output
    r = await kassa(hub, "last", "-s", "s1", "--qr")
    assert f"QR: {doc.qr}" in r.output and "чек от" in r.output
    assert "█" in r.output or "▀" in r.output  # segno drew it
    r = await kassa(hub, "last", "-s", "s1", "--qr", "--json")
    assert json.loads(r.output)["document"]["qr"] == doc.qr


async def test_a_lost_answer_is_settled_by_the_same_key(hub, register):
    await kassa(hub, "open-shift", "-s", "s1")
    register.drop_answers = 1  # the register prints, the answer is lost on the way
    r = await kassa(hub, "x-report", "-s", "s1", "--key", "x-7")
    assert r.exit_code == 1
    assert r.output.strip() == ("Неизвестно, выполнила ли касса «fr1» операцию: повторите "
                                "команду с тем же ключом x-7 — дважды она не выполнится.")
    r = await kassa(hub, "x-report", "-s", "s1", "--key", "x-7")
    assert r.output.strip() == "X-отчёт напечатан на кассе «fr1» (смена №1)."
    assert register.effects("x_report") == 1  # looked up, not printed again


async def test_an_unreachable_register_in_the_status(hub, register):
    register.offline = True
    r = await kassa(hub, "status")
    assert "Касса «fr1», точка s1\n  касса не отвечает: register fr1 does not answer" in r.output
    r = await kassa(hub, "status", "--json")
    assert json.loads(r.output)[0]["reachable"] is False


async def test_the_client_resends_with_the_same_key_when_the_hub_was_unreachable():
    from kassa.api.client import HubUnavailable
    from kassa.fiscal_ops import client

    sent: list[dict[str, Any]] = []

    class Flaky:
        async def request(self, method: str, path: str, **kw: Any) -> Any:
            sent.append(kw["json"])
            if len(sent) < 3:
                raise HubUnavailable("hub restarting")
            return {"document": {}, "register": "fr1"}

    await client.FiscalClient(Flaky(), retry_delay=0).act("x-report", key="k-1", site="s1")
    assert [b["key"] for b in sent] == ["k-1", "k-1", "k-1"]


def test_the_hub_is_found_from_kassa_toml(tmp_path, monkeypatch):
    from kassa.api.address import hub_address

    data = tmp_path / "data"
    data.mkdir()
    (data / "api-token").write_text("from-file\n")
    toml = tmp_path / "kassa.toml"
    toml.write_text(f'[hub]\ndata_dir = "{data}"\n[api]\nport = 8899\n', encoding="utf-8")
    assert hub_address(None, None, str(toml)) == ("http://127.0.0.1:8899", "from-file")
    toml.write_text('[api]\nport = 8899\ntoken = "in-config"\n', encoding="utf-8")
    assert hub_address(None, None, str(toml)) == ("http://127.0.0.1:8899", "in-config")
    assert hub_address("http://hub:1", "given", str(toml)) == ("http://hub:1", "given")
    monkeypatch.chdir(tmp_path / "data")  # no kassa.toml here: the console's defaults
    monkeypatch.setenv("KASSA_DATA_DIR", str(data))
    assert hub_address(None, None, None) == ("http://127.0.0.1:8765", "from-file")
