"""The console's chain analysis screen (key ``a``) against canned API data: tables, bar
charts scaled to the largest value, the hourly profile, Russian and English words, and the
period keys asking the API for their number of days; a hub that is not the centre says so."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from kassa.testing import eventually, make_hub
from kassa_pos.chain import analysis_console as ac

pytestmark = pytest.mark.anyio
PATH = "/api/pos/chain/v1/analysis"
DATA: dict[str, Any] = {
    "days": 7, "first": "2026-11-26", "last": "2026-12-02",
    "stores": [{"store": "S01", "name": "Ленина 5", "lines": 120, "amount": 1_000_000,
                "discount": 4_500, "returned": 1_200},
               {"store": "S02", "name": "S02", "lines": 60, "amount": 500_000,
                "discount": 0, "returned": 0}],
    "hours": [{"hour": 9, "checks": 10, "amount": 300_000},
              {"hour": 13, "checks": 30, "amount": 900_000},
              {"hour": 18, "checks": 25, "amount": 300_000}],
    "departments": [{"department": 1, "lines": 100, "qty": "120.5", "amount": 1_200_000,
                     "discount": 4_500},
                    {"department": 2, "lines": 80, "qty": "80", "amount": 300_000,
                     "discount": 0}],
    "items": [{"item": "MILK", "group": "G1", "qty": "40", "amount": 800_000},
              {"item": "[b]BREAD", "group": "", "qty": "2.5", "amount": 200_000}],
    "totals": {"lines": 180, "amount": 1_500_000, "discount": 4_500, "returned": 1_200,
               "checks": 65}}


def for_days(days: int) -> dict[str, Any]:
    data = copy.deepcopy(DATA)
    data["days"] = days
    if days == 1:
        data["first"] = data["last"]
    return data


def test_bars_scale_to_the_largest_value_in_eighths_of_a_cell():
    assert ac.bar(100, 100, 30) == "█" * 30
    assert ac.bar(50, 100, 30) == "█" * 15
    assert ac.bar(33, 100, 10) == "███▎"  # 26.4 eighths: 3 cells and 2/8
    assert ac.bar(1, 1_000_000, 30) == "▏"  # a sale is never invisible
    assert ac.bar(0, 100) == "" and ac.bar(-5, 100) == "" and ac.bar(5, 0) == ""
    text = ac.chart([("S01", 1_000_000), ("S02 Ленина", 250_000)], "ru", width=20).plain
    first, second = text.split("\n")
    assert first == "S01        " + "█" * 20 + " 10\u00a0000,00\u00a0₽"
    assert second == "S02 Ленина " + "█" * 5 + " " * 15 + "  2\u00a0500,00\u00a0₽"
    assert ac.chart([], "ru").plain == "Продаж нет."
    assert ac.hourly(DATA)[9] == 300_000 and len(ac.hourly(DATA)) == 24
    assert ac.peak(DATA, "ru") == "Больше всего в 13:00: 9\u00a0000,00\u00a0₽"


async def test_the_analysis_screen_in_the_console(tmp_path):
    import kassa_pos
    from kassa.api.client import AdminClient
    from kassa_console.app import ConsoleApp
    from textual.widgets import DataTable, Sparkline, Static

    calls: list[dict[str, Any]] = []

    def cells(screen: Any, name: str) -> list[list[str]]:
        table: Any = screen.query_one(name, DataTable)
        return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]

    def text(screen: Any, name: str) -> str:
        return str(screen.query_one(name, Static).render())

    async with make_hub({"sites": [{"code": "S01"}]}, tmp_path, plugins=[kassa_pos],
                        api=True) as hub:
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
        try:
            app = ConsoleApp(client, panels=[ac.AnalysisPanel()])
            async with app.run_test(size=(140, 60)) as pilot:
                await pilot.press("a")
                await pilot.pause()
                screen: Any = app.screen
                assert isinstance(screen, ac.AnalysisScreen)
                await eventually(lambda: screen.loads > 0, within=20)
                # not the centre: the hub has no such route
                assert text(screen, "#an-summary") == (
                    "Этот хаб не центр сети ([pos.chain] centre = true).")
                assert cells(screen, "#an-stores") == []

            real = client.request

            async def request(method: str, path: str, **kw: Any) -> Any:
                if path == PATH:
                    calls.append(kw.get("params") or {})
                    return for_days(int(calls[-1]["days"]))
                return await real(method, path, **kw)

            client.request = request  # type: ignore[method-assign]
            app = ConsoleApp(client, panels=[ac.AnalysisPanel()])
            async with app.run_test(size=(140, 60)) as pilot:
                await pilot.press("a")
                await pilot.pause()
                screen = app.screen
                await eventually(lambda: screen.loads > 0, within=20)
                assert calls == [{"days": 7}]  # the last 7 days first
                assert text(screen, "#an-summary") == (
                    "Продажи сети за 7 дней (26.11–02.12): выручка 15\u00a0000,00\u00a0₽, "
                    "чеков 65, строк 180, скидки 45,00\u00a0₽, возвраты 12,00\u00a0₽.")
                titles = [str(s.render()) for s in screen.query(".an-title")]
                assert titles == ["По магазинам", "По часам", "По отделам", "Лучшие товары"]
                stores: Any = screen.query_one("#an-stores", DataTable)
                assert [str(c.label) for c in stores.columns.values()] == [
                    "Магазин", "Строк", "Выручка", "Скидки", "Возвраты"]
                assert cells(screen, "#an-stores") == [
                    ["S01 Ленина 5", "120", "10\u00a0000,00\u00a0₽", "45,00\u00a0₽",
                     "12,00\u00a0₽"],
                    ["S02", "60", "5\u00a0000,00\u00a0₽", "0,00\u00a0₽", "0,00\u00a0₽"]]
                assert cells(screen, "#an-hours")[1] == ["13:00", "30", "9\u00a0000,00\u00a0₽"]
                assert cells(screen, "#an-departments")[0][2] == "120,5"  # the Russian comma
                assert cells(screen, "#an-items")[1][0] == "[b]BREAD"  # data is not markup

                def bars(name: str) -> list[int]:
                    lines = text(screen, name).split("\n")
                    return [line.count("█") for line in lines]
                assert bars("#an-stores-chart") == [ac.BAR_WIDTH, ac.BAR_WIDTH // 2]
                assert bars("#an-departments-chart") == [ac.BAR_WIDTH, ac.BAR_WIDTH // 4]
                assert bars("#an-items-chart") == [ac.BAR_WIDTH, ac.BAR_WIDTH // 4]
                assert text(screen, "#an-stores-chart").split("\n")[0].startswith(
                    "S01 Ленина 5 ")
                assert text(screen, "#an-departments-chart").startswith("отдел 1 ")
                spark: Any = screen.query_one("#an-hours-chart", Sparkline)
                assert list(spark.data) == ac.hourly(DATA) and max(spark.data) == 900_000
                assert text(screen, "#an-hours-peak") == (
                    "Больше всего в 13:00: 9\u00a0000,00\u00a0₽")

                for key, days, head in (("t", 1, "Продажи сети за сегодня (02.12): "),
                                        ("m", 30, "Продажи сети за 30 дней (26.11–02.12): "),
                                        ("w", 7, "Продажи сети за 7 дней (26.11–02.12): ")):
                    done = screen.loads
                    await pilot.press(key)
                    await eventually(lambda done=done: screen.loads > done, within=20)
                    assert calls[-1] == {"days": days}
                    assert text(screen, "#an-summary").startswith(head)

            app = ConsoleApp(client, "en", panels=[ac.AnalysisPanel()])
            async with app.run_test(size=(100, 60)) as pilot:  # narrow: charts under tables
                await pilot.press("a")
                await pilot.pause()
                screen = app.screen
                assert isinstance(screen, ac.AnalysisScreenEn)
                await eventually(lambda: screen.loads > 0, within=20)
                assert text(screen, "#an-summary").startswith(
                    "Chain sales over the last 7 days (26.11–02.12): sales 15,000.00\u00a0₽")
                assert "-narrow" in screen.classes
                assert {b.binding.description for b in screen.active_bindings.values()} >= {
                    "Today", "7 days", "30 days"}
                assert cells(screen, "#an-departments")[0][2] == "120.5"
        finally:
            await client.aclose()
