"""The till side of FarCards-HTTP: what r_keeper's ExtDllHTTP.dll sends, as a small client.

Tests and the benchmark use it to play a cash station against the bonus server; it speaks
only the wire format (``farcards_wire``), never the server's Python objects.
"""

from __future__ import annotations

from datetime import date

import httpx

from kassa_bonus import farcards_wire as fw


class TillError(Exception):
    """The server answered something that is not FarCards XML."""


class FarCardsTill:
    def __init__(self, base_url: str, *, restaurant: int = 199999999, unit: int = 1,
                 client: httpx.AsyncClient | None = None, auth: tuple[str, str] | None = None,
                 get_card_info_path: str = "getcardinfoex",
                 transactions_path: str = "transactionsex") -> None:
        """``base_url``: the door's ``http://host:port/farcards``, or with the till key in
        the path (``.../farcards/<key>``); ``auth``: (till name, key) sent as HTTP Basic."""
        self.base = base_url.rstrip("/")
        self.restaurant = restaurant
        self.unit = unit
        self.client = client or httpx.AsyncClient(timeout=10, auth=auth)
        self.paths = (get_card_info_path, transactions_path)

    async def _post(self, path: str, body: bytes) -> bytes:
        r = await self.client.post(f"{self.base}/{path}", content=body,
                                   headers={"Content-Type": "text/xml; charset=utf-8"})
        if r.status_code != 200:
            raise TillError(f"{path}: HTTP {r.status_code}: {r.text[:200]}")
        return r.content

    async def card_info(self, card: int, check: fw.TillCheck | None = None) -> fw.CardInfo:
        body = fw.card_query_xml(card, self.restaurant, self.unit, check)
        return fw.parse_card_info(await self._post(self.paths[0], body))

    async def close_check(self, card: int, check_no: int, *, pay: int = 0, bonus: int = 0,
                          discount: int = 0, own_money: int = 0, cancel: bool = False,
                          check: fw.TillCheck | None = None,
                          cash_day: date = date(2026, 3, 2)) -> tuple[bool, str, list[str]]:
        """Post a check's card transactions (kopecks, positive); ``cancel`` sends the
        cancellation signs. Returns (posted, text for the till, ext ids)."""
        sign = -1 if cancel else 1
        rows = [(fw.KIND_PAYMENT, -pay * sign), (fw.KIND_DISCOUNT, -discount * sign),
                (fw.KIND_BONUS, bonus * sign), (fw.KIND_OWN_MONEY, own_money * sign)]
        items = [fw.Transaction(card=card, kind=k, summa=s, restaurant=self.restaurant,
                                rk_date=fw.rk_date(cash_day), rk_unit=self.unit,
                                rk_check=check_no) for k, s in rows if s]
        return await self.transactions(items, check)

    async def transactions(self, items: list[fw.Transaction], check: fw.TillCheck | None = None,
                           ) -> tuple[bool, str, list[str]]:
        return fw.parse_transactions_result(
            await self._post(self.paths[1], fw.transactions_xml(items, check)))

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> FarCardsTill:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
