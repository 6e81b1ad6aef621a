"""r_keeper 7 XML interface client: POST RK7Query, Basic auth, Status parsing.

Errors: ``AuthError`` (401: wrong user/password or no HTTPS access right), ``LinkError`` (no
answer, timeout, HTTP failure, unreadable XML) and ``wire.RK7Error`` (the server answered with
a non-Ok Status). The password is only ever placed in the Authorization header.
"""

from __future__ import annotations

import ssl
from typing import Any
from xml.etree import ElementTree as ET

import httpx
from kassa.secret import Secret

from kassa_rkeeper import wire


class LinkError(Exception):
    """The cash server did not answer usefully (network, timeout, garbage)."""


class AuthError(Exception):
    """The cash server refused our credentials."""


def _tls_context() -> ssl.SSLContext:
    # Cash servers often have self-signed 1024-bit certificates and old TLS (notes §1.1).
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    try:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    return ctx


class RK7Client:
    def __init__(self, base_url: str, user: str, password: Secret, *, timeout: float = 10.0,
                 verify_tls: bool = False) -> None:
        self.url = base_url.rstrip("/") + wire.XML_PATH
        verify: Any = True if verify_tls else (_tls_context() if base_url.startswith("https")
                                               else False)
        self._http = httpx.AsyncClient(auth=(user, password.reveal()), timeout=timeout,
                                       verify=verify)
        self.requests = 0
        self.server_time: str | None = None  # DateTime of the last answer, for clock skew

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, cmd: str, *children: ET.Element, **attrs: Any) -> ET.Element:
        """Run one command; returns the RK7QueryResult element (Status Ok or No changes)."""
        root = ET.Element("RK7Query")
        el = ET.SubElement(root, "RK7CMD", CMD=cmd)
        for k, v in attrs.items():
            el.set(k, str(v))
        el.extend(children)
        self.requests += 1
        try:
            resp = await self._http.post(self.url, content=wire.xml_bytes(root),
                                         headers={"Content-Type": "application/xml; charset=utf-8"})
        except httpx.HTTPError as exc:
            raise LinkError(f"{cmd}: no answer ({type(exc).__name__})") from None
        if resp.status_code == 401:
            raise AuthError("the cash server refused the user name or password "
                            "(the employee needs the \"HTTPS access\" right)")
        if resp.status_code != 200:
            raise LinkError(f"{cmd}: HTTP {resp.status_code}")
        try:
            result = ET.fromstring(resp.content)
        except ET.ParseError as exc:
            raise LinkError(f"{cmd}: unreadable XML answer ({exc})") from None
        if result.tag != "RK7QueryResult":
            raise LinkError(f"{cmd}: unexpected answer <{result.tag}>")
        self.server_time = result.get("DateTime")
        status = result.get("Status", "")
        if status not in (wire.OK, wire.NO_CHANGES):
            code = wire.to_int(result.get("RK7ErrorN"), 0) or None
            raise wire.RK7Error(status, result.get("ErrorText", ""), code, cmd)
        return result

    # --- the commands the source uses ------------------------------------------------------
    async def system_info(self) -> ET.Element:
        info = (await self.call("GetSystemInfo2")).find("SystemInfo")
        if info is None:
            raise LinkError("GetSystemInfo2: no <SystemInfo>")
        return info

    async def order_list(self, lastversion: str = "") -> tuple[ET.Element | None, str]:
        """(result or None when unchanged, new lastversion)."""
        attrs = {"onlyOpened": "0"} | ({"lastversion": lastversion} if lastversion else {})
        res = await self.call("GetOrderList", **attrs)
        return (None if res.get("Status") == wire.NO_CHANGES else res), res.get("lastversion", "")

    async def receipt_list(self, lastversion: str = "") -> tuple[ET.Element | None, str]:
        res = await self.call("GetReceiptList",
                              **({"lastversion": lastversion} if lastversion else {}))
        if res.get("Status") == wire.NO_CHANGES:
            return None, res.get("lastversion", lastversion)
        lst = res.find("ReceiptsList")
        return lst, (lst.get("lastversion", "") if lst is not None else "")

    async def order(self, guid: str) -> ET.Element:
        res = await self.call("GetOrder", ET.Element("Order", guid=guid))
        order = res.find("Order")
        if order is None:
            raise LinkError("GetOrder: no <Order>")
        return order

    async def ref_data(self, name: str) -> list[ET.Element]:
        res = await self.call("GetRefData", RefName=name, PropMask="*")
        return res.findall("./RK7Reference/Items/Item")
