"""Stock documents on a running hub: levels from receipts, write-offs and the till's real
sales and returns; an inventory count posts its discrepancies against the book at that
moment; a repeat of a document's id moves nothing, other content under it is refused; a bad
document is one sentence naming the line and nothing of it is stored; the audit event (a
write-off or a shortage is a warning); the migration agrees with the tables."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from kassa.model import Measure, Severity
from kassa_pos.engine import store_tables
from kassa_pos.engine.returns import ReturnLine, Returns
from kassa_pos.engine.values import Tender
from kassa_pos.stock import tables
from kassa_pos.stock.book import StockBook, StockError, parse

from .test_pay import Parts, draft, line, ready

pytestmark = pytest.mark.anyio


async def shop(hub: Any) -> StockBook:
    async with hub.store.write() as c:
        await c.execute(store_tables.item.insert(), [
            {"code": "A1", "name": "Молоко", "unit": Measure.PIECE.value, "vat": "vat10",
             "department": 1, "item_group": "dairy", "flags": 0},
            {"code": "W1", "name": "Сыр", "unit": Measure.KILOGRAM.value, "vat": "vat10",
             "department": 1, "item_group": "dairy", "flags": 0}])
    return StockBook(hub, "s1")


def doc(doc_id: str, kind: str, *lines: tuple[str, Any], **kw: Any) -> Any:
    return parse({"id": doc_id, "kind": kind, **kw,
                  "lines": [{"item": i, "qty": q} for i, q in lines]})


async def test_levels_follow_documents_sales_and_returns(tmp_path: Path) -> None:
    parts = Parts(tmp_path)
    async with parts.hub() as hub:
        book = await shop(hub)
        await book.post(doc("in-1", "receipt", ("A1", 50), ("W1", "12,5"),
                            counterpart="ООО Молоко"), by="Анна")
        pay = await ready(hub)
        await pay.pay(draft(line("A1", 8990, quantity=3), line("W1", 120000, quantity="0.347",
                                                               amount=41640)),
                      [Tender(kind="cash", amount=100000)])
        assert await book.levels() == {"A1": Decimal(47), "W1": Decimal("12.153")}
        await Returns(hub, pay).by_receipt("c1", [ReturnLine(line_no=0, quantity=Decimal(1))],
                                           return_id="r1", till="t1", cashier="Анна")
        await book.post(doc("off-1", "writeoff", ("A1", 2), reason="истёк срок"), by="Анна")
        assert await book.levels(["A1"]) == {"A1": Decimal(46)}
        # two milks brought back without a receipt go back on the shelf too
        await Returns(hub, pay).without_receipt(
            [line("A1", 8990, quantity=2)], site="s1", till="t1", cashier="Анна",
            return_id="r2", confirmed_by="Олег")
        assert await book.levels(["A1"]) == {"A1": Decimal(48)}
        await book.post(doc("off-2", "writeoff", ("A1", 2), reason="брак"), by="Анна")
        # the count: 44 milks on the shelf (2 missing), the cheese as the books say
        counted = await book.post(doc("inv-1", "count", ("A1", 44), ("W1", "12.153")),
                                  by="Олег")
        assert counted.book == {"A1": Decimal(46), "W1": Decimal("12.153")}
        assert counted.moves == (("A1", Decimal(-2)), ("W1", Decimal(0)))
        assert await book.levels() == {"A1": Decimal(44), "W1": Decimal("12.153")}
        events = {e.source_key: e for e in await hub.events(kinds=["pos_stock_document"])}
        assert events["pos:stock:in-1"].severity is Severity.INFO
        assert events["pos:stock:off-1"].severity is Severity.WARNING
        assert events["pos:stock:off-1"].reason == "истёк срок"
        assert events["pos:stock:inv-1"].severity is Severity.WARNING  # a shortage
        assert events["pos:stock:inv-1"].data["posted_by"] == "Олег"


async def test_a_repeat_moves_nothing_and_other_content_under_the_id_is_refused(
        tmp_path: Path) -> None:
    parts = Parts(tmp_path)
    async with parts.hub() as hub:
        book = await shop(hub)
        first = await book.post(doc("in-1", "receipt", ("A1", 5), counterpart="ИП Петров"),
                                by="Анна")
        again = await book.post(doc("in-1", "receipt", ("A1", 5), counterpart="ИП Петров"),
                                by="Анна")
        assert not first.replay and again.replay and again.moves == first.moves
        with pytest.raises(StockError, match="уже проведён с другим содержимым"):
            await book.post(doc("in-1", "receipt", ("A1", 6), counterpart="ИП Петров"),
                            by="Анна")
        assert await book.levels() == {"A1": Decimal(5)}
        assert len(await hub.events(kinds=["pos_stock_document"])) == 1


async def test_a_bad_line_refuses_the_whole_document(tmp_path: Path) -> None:
    parts = Parts(tmp_path)
    async with parts.hub() as hub:
        book = await shop(hub)
        with pytest.raises(StockError) as unknown:
            await book.post(doc("in-2", "receipt", ("A1", 5), ("ZZ", 1), counterpart="x"),
                            by="Анна")
        assert str(unknown.value) == "Строка 2: товара с кодом «ZZ» нет в каталоге"
        assert unknown.value.text("en") == "Line 2: there is no item 'ZZ' in the catalog"
        with pytest.raises(StockError, match="штучный"):
            await book.post(doc("in-3", "receipt", ("A1", "1.5"), counterpart="x"), by="Анна")
        async with hub.store.read() as c:
            for table in (tables.doc, tables.move):
                n = await c.execute(sa.select(sa.func.count()).select_from(table))
                assert n.scalar_one() == 0  # nothing of either document stored
        assert await book.levels() == {}


@pytest.mark.parametrize(("raw", "says"), [
    ([], "Документ должен быть объектом JSON."),
    ({"kind": "receipt"}, "нет идентификатора"),
    ({"id": "d", "kind": "gift", "lines": [{}]}, "Неизвестный вид документа «gift»"),
    ({"id": "d", "kind": "receipt", "counterpart": "x"}, "нет строк"),
    ({"id": "d", "kind": "receipt", "counterpart": "x", "lines": [{"item": "A1", "qty": 0}]},
     "Строка 1: количество «0» — не число"),
    ({"id": "d", "kind": "receipt", "counterpart": "x", "lines": [{"item": "A1", "qty": "-1"}]},
     "Строка 1: количество «-1»"),
    ({"id": "d", "kind": "receipt", "counterpart": "x",
      "lines": [{"item": "A1", "qty": 1}, {"item": "A1", "qty": 2}]},
     "Строка 2: товар «A1» уже есть в строке 1"),
    ({"id": "d", "kind": "receipt", "counterpart": "x",
      "lines": [{"item": "A1", "qty": 1, "cost": -5}]}, "Строка 1: цена «-5»"),
    ({"id": "d", "kind": "receipt", "lines": [{"item": "A1", "qty": 1}]}, "нужен контрагент"),
    ({"id": "d", "kind": "writeoff", "lines": [{"item": "A1", "qty": 1}]}, "нужна причина"),
    ({"id": "d", "kind": "transfer_in", "counterpart": "S02",
      "lines": [{"item": "A1", "qty": 1}]}, "номер отправки"),
    ({"id": "d", "kind": "count", "lines": [{"item": "A1", "qty": "1.0001"}]},
     "пересчитанное количество"),
])
def test_bad_documents_are_one_sentence(raw: Any, says: str) -> None:
    with pytest.raises(StockError) as refused:
        parse(raw)
    assert says in str(refused.value)
    assert refused.value.text("en") != str(refused.value)  # English too


async def test_tables_agree_with_the_migration(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    async with Parts(tmp_path).hub() as hub:
        async with hub.engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(
                MigrationContext.configure(c), tables.metadata))
    ours = [d for d in diff if "pos_stock" in repr(d)
            and not repr(d).startswith("('remove_table'")]
    assert ours == []


async def test_the_api_and_the_cli_post_and_read_levels(tmp_path: Path) -> None:
    import json

    import anyio
    import kassa_pos
    from click.testing import CliRunner
    from kassa.api.client import AdminClient, ApiError
    from kassa.testing import make_hub
    from kassa_pos.cli import group

    async with make_hub({"sites": [{"code": "s1"}], "pos": {"store": "s1"}}, tmp_path,
                        api=True, plugins=[kassa_pos]) as hub:
        await shop(hub)
        url = f"http://127.0.0.1:{hub.api_port}"
        api = AdminClient(url, hub.api_token)
        try:
            body = {"id": "in-9", "kind": "receipt", "counterpart": "ООО Хлеб",
                    "lines": [{"item": "A1", "qty": 10, "cost": 5000}]}
            done = await api.request("POST", "/api/pos/stock/v1/documents", json=body)
            assert (done["replay"], done["moves"]) == (False, [["A1", "10"]])
            again = await api.request("POST", "/api/pos/stock/v1/documents", json=body)
            assert again["replay"] is True
            with pytest.raises(ApiError, match="нужна причина"):
                await api.request("POST", "/api/pos/stock/v1/documents", json={
                    "id": "w", "kind": "writeoff", "lines": [{"item": "A1", "qty": 1}]})
            assert (await api.request("GET", "/api/pos/stock/v1/levels")) == {
                "levels": {"A1": "10.000"}}
            bare = AdminClient(url, "wrong-token")
            with pytest.raises(ApiError):
                await bare.request("GET", "/api/pos/stock/v1/levels")
            await bare.aclose()
        finally:
            await api.aclose()

        runner = CliRunner()
        hub_opts = ["--url", url, "--token", hub.api_token]
        good = tmp_path / "count.json"
        good.write_text(json.dumps({"id": "inv-9", "kind": "count",
                                    "lines": [{"item": "A1", "qty": 7}]}), encoding="utf-8")
        res = await anyio.to_thread.run_sync(lambda: runner.invoke(
            group(), ["stock", "post", str(good), "--by", "Олег", *hub_opts]))
        assert res.exit_code == 0, res.output
        assert "документ inv-9 проведён" in res.output and "A1: -3.000 (по учёту 10.000)" \
            in res.output
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"id": "x", "kind": "receipt", "counterpart": "a",
                                   "lines": [{"item": "A1", "qty": "много"}]}), encoding="utf-8")
        res = await anyio.to_thread.run_sync(lambda: runner.invoke(
            group(), ["stock", "post", str(bad), *hub_opts]))
        assert res.exit_code == 1 and "Строка 1: количество «много»" in res.output
        res = await anyio.to_thread.run_sync(lambda: runner.invoke(
            group(), ["stock", "levels", "--item", "A1", *hub_opts]))
        assert res.exit_code == 0 and res.output.strip() == "A1\t7.000"
