"""The console's store stock screen (key ``n``) against a real store hub with a catalog: a
goods receipt typed into the form moves the level; a refused document shows the book's
sentence and stores nothing; a retry after a lost answer posts the same id and moves stock
once; the price-tags action writes a PDF on the hub (read back with pypdfium2) and names what
was refused; a hub without a store (no stock routes: the centre) says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from kassa.api.client import AdminClient, HubUnavailable
from kassa.testing import eventually, make_hub
from kassa_pos.engine.barcodes import with_check_digit
from kassa_pos.stock import console as sc
from kassa_pos.stock.book import DocKind

pytestmark = pytest.mark.anyio
EAN = with_check_digit("460000000091")
CONFIG = {"sites": [{"code": "s1", "name": "Магазин на Ленина"}], "pos": {"store": "s1"}}


@asynccontextmanager
async def store_hub(tmp_path: Path) -> AsyncIterator[tuple[Any, AdminClient]]:
    import kassa_pos
    from kassa_pos.engine.catalog_import import CatalogData, import_data

    async with make_hub(CONFIG, tmp_path, api=True, plugins=[kassa_pos]) as hub:
        await import_data(hub, CatalogData(items=[
            {"code": "A", "name": "Хлеб «Бородинский»", "vat": "22", "barcodes": EAN,
             "price": "55.00"},
            {"code": "B", "name": "Яблоки", "vat": "22", "unit": "кг", "price": "159.90"}]))
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
        try:
            yield hub, client
        finally:
            await client.aclose()


@asynccontextmanager
async def stock_screen(client: Any, locale: str = "ru") -> AsyncIterator[tuple[Any, Any]]:
    from kassa_console.app import ConsoleApp

    app = ConsoleApp(client, locale, panels=[sc.StockPanel()])
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        screen: Any = app.screen
        assert isinstance(screen, sc.StockScreen)
        await eventually(lambda: screen.loads > 0, within=20)
        yield pilot, screen


def fill(screen: Any, kind: str, rows: str, **fields: str) -> None:
    from textual.widgets import Input, Select, TextArea

    screen.query_one("#so-kind", Select).value = kind
    screen.query_one("#so-lines", TextArea).load_text(rows)
    for name, value in fields.items():
        screen.query_one(f"#so-{name}", Input).value = value


async def click(pilot: Any, screen: Any, button: str) -> None:
    # a button ignores clicks while it shows the last one (0.2 s); the form's fields follow
    # the kind, so the button may have moved
    await eventually(lambda: not screen.query_one(button).has_class("-active"), within=5)
    await pilot.pause()
    await pilot.click(button)


async def post(pilot: Any, screen: Any) -> str:
    from textual.widgets import Static

    before = screen.posts
    await click(pilot, screen, "#so-post")
    await eventually(lambda: screen.posts > before, within=20)
    return str(screen.query_one("#so-status", Static).render())


def head(screen: Any) -> str:
    from textual.widgets import Static

    return str(screen.query_one("#so-head", Static).render())


def table(screen: Any) -> list[list[str]]:
    from textual.widgets import DataTable

    t: Any = screen.query_one("#so-levels", DataTable)
    return [[str(c) for c in t.get_row_at(i)] for i in range(t.row_count)]


async def levels(client: AdminClient) -> dict[str, str]:
    data = await client.request("GET", "/api/pos/stock/v1/levels")
    return dict(data["levels"])


def test_rows_are_lines_with_a_price_in_roubles():
    assert sc.parse_rows("A 10 89,90\n\n  B 2,5 \n") == [
        {"item": "A", "qty": "10", "cost": 8990}, {"item": "B", "qty": "2,5"}]
    with pytest.raises(sc.FormError, match=r"^Строка 2: «B» — нужно"):
        sc.parse_rows("A 1\nB")
    with pytest.raises(sc.FormError, match=r"Line 1: price '1\.234'"):
        sc.parse_rows("A 1 1.234", "en")
    with pytest.raises(sc.FormError, match="нет строк"):
        sc.parse_rows(" \n")
    assert sc.fields_for(DocKind.RECEIPT) == ("counterpart",)
    assert sc.fields_for(DocKind.WRITEOFF) == ("reason",)
    assert sc.fields_for(DocKind.TRANSFER_IN) == ("counterpart", "ref")
    assert sc.fields_for(DocKind.COUNT) == ()
    assert sc.level_rows({"b2": "3.500", "A1": "-1.000", "C": "0.000"}, "b", "ru") == [
        ("b2", "3,5")]


async def test_a_goods_receipt_from_the_form_moves_the_level(tmp_path):
    from textual.widgets import Input, TextArea

    async with store_hub(tmp_path) as (_hub, client):
        async with stock_screen(client) as (pilot, screen):
            assert head(screen) == "Остатки магазина: 0 поз." and table(screen) == []
            first_id = screen.doc_id
            fill(screen, "receipt", "A 10 50,00", counterpart="ООО Хлебозавод")
            screen.query_one("#so-line", Input).value = "B 2,5"  # a line added on its own
            await pilot.click("#so-line")
            await pilot.press("enter")
            assert screen.query_one("#so-lines", TextArea).text == "A 10 50,00\nB 2,5"
            said = await post(pilot, screen)
            assert said == "Документ проведён: A +10, B +2,5."
            await eventually(lambda: table(screen) == [["A", "10"], ["B", "2,5"]], within=20)
            assert head(screen) == "Остатки магазина: 2 поз."
            # the form is cleared for the next document, which gets its own id
            assert screen.query_one("#so-lines", TextArea).text == ""
            assert screen.query_one("#so-counterpart", Input).value == ""
            assert screen.doc_id != first_id
            screen.query_one("#so-filter", Input).value = "b"
            await pilot.pause()
            assert table(screen) == [["B", "2,5"]]
            assert head(screen) == "Остатки магазина: 2 поз. Показано: 1."
        assert await levels(client) == {"A": "10.000", "B": "2.500"}


async def test_a_refused_document_shows_the_books_sentence_and_stores_nothing(tmp_path):
    async with store_hub(tmp_path) as (_hub, client):
        async with stock_screen(client) as (pilot, screen):
            doc_id = screen.doc_id
            fill(screen, "receipt", "A 1\nZZ 2", counterpart="ИП Петров")
            assert await post(pilot, screen) == "Строка 2: товара с кодом «ZZ» нет в каталоге"
            fill(screen, "writeoff", "A 1")
            assert await post(pilot, screen) == "Для списания нужна причина (reason)."
            assert screen.doc_id == doc_id  # nothing was stored under it
        async with stock_screen(client, "en") as (pilot, screen):
            fill(screen, "receipt", "A 1\nZZ 2", counterpart="ИП Петров")
            assert await post(pilot, screen) == "Line 2: there is no item 'ZZ' in the catalog"
        assert await levels(client) == {}


async def test_a_retry_after_a_lost_answer_posts_the_same_document_once(tmp_path):
    async with store_hub(tmp_path) as (hub, client):
        real = client.request
        sent: list[str] = []

        async def request(method: str, path: str, **kw: Any) -> Any:
            answer = await real(method, path, **kw)
            if method == "POST":
                sent.append(kw["json"]["id"])
                if len(sent) == 1:  # the hub posted it, the answer never came back
                    raise HubUnavailable("hub is unreachable: ReadTimeout")
            return answer

        client.request = request  # type: ignore[method-assign]
        async with stock_screen(client) as (pilot, screen):
            fill(screen, "receipt", "A 5", counterpart="ООО Хлебозавод")
            said = await post(pilot, screen)
            assert said.startswith("Хаб недоступен, документ мог не дойти")
            assert await post(pilot, screen) == (
                "Документ уже был проведён, ничего не изменилось: A +5.")
            await eventually(lambda: table(screen) == [["A", "5"]], within=20)
        assert sent[0] == sent[1]
        assert await levels(client) == {"A": "5.000"}
        assert len(await hub.events(kinds=["pos_stock_document"])) == 1


async def test_price_tags_are_a_pdf_on_the_hub_and_refusals_are_named(tmp_path):
    from textual.widgets import Input, Static

    from .test_labels import pages, text_of

    async def tags(pilot: Any, screen: Any) -> str:
        before = screen.prints
        await click(pilot, screen, "#so-print")
        await eventually(lambda: screen.prints > before, within=60)
        return str(screen.query_one("#so-tags", Static).render())

    async with store_hub(tmp_path) as (_hub, client):
        async with stock_screen(client) as (pilot, screen):
            said = await tags(pilot, screen)  # nothing printed yet: every price is new
            [pdf] = sorted((tmp_path / "labels").glob("tag-*.pdf"))
            assert said == f"Напечатано ценников: 2 на 1 стр., файл {pdf}: A, B."
            [page] = pages(pdf.read_bytes())
            text = text_of(page)
            assert "Хлеб «Бородинский»" in text and "55,00 ₽" in text and "Яблоки" in text
            assert "Магазин на Ленина" in text
            assert await tags(pilot, screen) == "Нечего печатать: ни один ценник не нужен."
            screen.query_one("#so-codes", Input).value = "B, Z"
            screen.query_one("#so-file", Input).value = "shelf.pdf"
            said = await tags(pilot, screen)
            assert said == (f"Напечатано ценников: 1 на 1 стр., файл {tmp_path / 'shelf.pdf'}:"
                            " B. Не напечатаны: Z: нет такого товара (ни кода, ни штрихкода).")
            assert "159,90 ₽" in text_of(pages((tmp_path / "shelf.pdf").read_bytes())[0])
            screen.query_one("#so-file", Input).value = "kassa.db"  # never over another file
            said = await tags(pilot, screen)
            assert said == (f"{tmp_path / 'kassa.db'}: нужен файл .pdf в существующей папке, "
                            "не поверх другого файла")


async def test_a_hub_without_a_store_says_so(tmp_path):
    import kassa_pos
    from kassa_pos.settings import ChainSettings, PosSettings

    no_store = ("Этот хаб не магазин: склад и ценники ведёт хаб магазина ([pos] store), "
                "не центр сети.")
    # a hub without the stock routes: as the centre, which mounts only the chain's
    async with make_hub({"sites": [{"code": "s1"}]}, tmp_path, api=True) as hub:
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", hub.api_token)
        try:
            async with stock_screen(client) as (pilot, screen):
                assert head(screen) == no_store
                fill(screen, "count", "A 1")
                assert await post(pilot, screen) == no_store
        finally:
            await client.aclose()

    class Centre:
        def section(self, name: str, cls: type) -> Any:
            return PosSettings(chain=ChainSettings(nats="nats://127.0.0.1:4222", centre=True,
                                                   stores=["S01"]))

    [only] = kassa_pos.register_routes(Centre())
    assert only.path == "/api/pos/chain/v1"
