"""GS1 DataMatrix marking codes (Chestny Znak КМ): parse what a scanner read, repair the
damage a keyboard wedge does, say clearly why a code is broken (fiscal.md §7).

Structure: ``01`` GTIN (14 digits) ``21`` serial (variable, ends at GS) then either
``91`` key id (4) GS ``92`` crypto (44 or 88), or ``93`` check code (4, the short form of
tobacco packs, milk, water), optionally ``8005`` (6, the tobacco pack's price), ``3103``
(6, a measured weight). The FN can verify the crypto tail only when 91/92 are whole, so the
code goes to the register as scanned, GS included (``MarkingCode.code``).
"""

from __future__ import annotations

from attrs import frozen

GS = "\x1d"
# ЙЦУКЕН keys over QWERTY ones: what a Russian layout types for each Latin key
_RU = "ЙЦУКЕНГШЩЗФЫВАПРОЛДЯЧСМИТЬйцукенгшщзфывапролдячсмить"
_EN = "QWERTYUIOPASDFGHJKLZXCVBNMqwertyuiopasdfghjklzxcvbnm"
_RU_PUNCT = {"Х": "{", "Ъ": "}", "Ж": ":", "Э": '"', "Б": "<", "Ю": ">", "х": "[", "ъ": "]",
             "ж": ";", "э": "'", "б": ",", "ю": ".", "ё": "`", "Ё": "~", "№": "#"}
LAYOUT = {**dict(zip(_RU, _EN, strict=True)), **_RU_PUNCT}
_FIXED = {"91": 4, "93": 4, "8005": 6, "3103": 6}  # AIs of a fixed length in КМ
_CRYPTO_LENGTHS = (44, 88)
_SERIAL_LENGTHS = (13, 6, 7, 8, 11, 20)  # what КМ serials are, most common first
_SYMBOLOGY_IDS = ("]d2", "]C1", "]Q3")  # AIM identifiers a scanner may prefix


class BrokenCode(ValueError):
    """The code cannot be sold as is. ``reason`` is a stable key (texts
    ``scanner.broken.<reason>``); ``detail`` says where, in English, for logs."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@frozen(kw_only=True)
class MarkingCode:
    gtin: str
    serial: str
    key_id: str | None = None  # 91
    crypto: str | None = None  # 92
    check: str | None = None  # 93 (short form)
    extra: tuple[tuple[str, str], ...] = ()  # 8005, 3103 ...
    repairs: tuple[str, ...] = ()  # what was fixed: "layout", "gs_substitute", "gs_restored"

    @property
    def short(self) -> bool:
        return self.crypto is None

    @property
    def code(self) -> str:
        """The code as the register wants it: AIs in order, GS after each variable field."""
        parts = [f"01{self.gtin}21{self.serial}"]
        if self.key_id is not None:
            parts.append(f"91{self.key_id}")
            parts.append(f"92{self.crypto}")
        for ai, value in self.extra:
            parts.append(ai + value)
        if self.check is not None:
            parts.append(f"93{self.check}")
        return GS.join(parts)


def gtin_ok(gtin: str) -> bool:
    """GS1 mod-10 check digit."""
    digits = [int(c) for c in gtin]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def parse(raw: str, *, gs_substitute: str = "") -> MarkingCode:
    """Parse a scanned code; ``gs_substitute``: the character a wedge scanner is set to type
    for GS (or that a layout typed for it). Raises ``BrokenCode``."""
    repairs: list[str] = []
    text = raw.strip("\r\n")
    for sid in _SYMBOLOGY_IDS:
        if text.startswith(sid):
            text = text[len(sid):]
    text = text.lstrip(GS)  # a leading FNC1 some scanners send as GS
    if any(c in LAYOUT for c in text):
        text = "".join(LAYOUT.get(c, c) for c in text)
        repairs.append("layout")
    if gs_substitute and gs_substitute in text:
        text = text.replace(gs_substitute, GS)
        repairs.append("gs_substitute")
    bad = next((c for c in text if c != GS and not (" " < c <= "~")), None)
    if bad is not None:
        raise BrokenCode("characters", f"character {bad!r} cannot be in a marking code")
    if not text.startswith("01"):
        raise BrokenCode("not_marking", "a marking code starts with AI 01 (GTIN)")
    gtin = text[2:16]
    if len(gtin) < 14 or not gtin.isdigit():
        raise BrokenCode("gtin", f"GTIN {gtin!r} is not 14 digits")
    if not gtin_ok(gtin):
        raise BrokenCode("gtin_check", f"GTIN {gtin} has a wrong check digit")
    if text[16:18] != "21":
        raise BrokenCode("serial", "AI 21 (serial) must follow the GTIN")
    letters = [c for c in text[18:] if c.isalpha()]
    if len(letters) >= 8 and (all(c.islower() for c in letters)
                              or all(c.isupper() for c in letters)):
        raise BrokenCode("case", "every letter has one case: Caps Lock or the wedge's layout"
                                 " changed it, and the crypto tail cannot be restored")
    rest = text[18:]
    if GS in rest:
        code = _fields(gtin, rest.split(GS), repairs)
    else:
        code = _restore(gtin, rest, repairs)
    return code


def _fields(gtin: str, chunks: list[str], repairs: list[str]) -> MarkingCode:
    serial = chunks[0]
    if not 1 <= len(serial) <= 20:
        raise BrokenCode("serial", f"the serial has {len(serial)} characters (1..20)")
    ais: list[tuple[str, str]] = []
    for chunk in chunks[1:]:
        ais += _split_ai(chunk)
    return _build(gtin, serial, ais, repairs)


def _split_ai(chunk: str) -> list[tuple[str, str]]:
    """One GS-delimited chunk: fixed-length AIs may run on without a GS, 92 ends it."""
    out: list[tuple[str, str]] = []
    while chunk:
        if chunk.startswith("92"):
            out.append(("92", chunk[2:]))
            return out
        ai = next((a for a in _FIXED if chunk.startswith(a)), None)
        if ai is None:
            raise BrokenCode("unknown_ai", f"unexpected data {chunk[:6]!r}... after the serial")
        n = _FIXED[ai]
        value = chunk[len(ai):len(ai) + n]
        if len(value) < n:
            raise BrokenCode("truncated", f"AI {ai} has {len(value)} of {n} characters")
        out.append((ai, value))
        chunk = chunk[len(ai) + n:]
    return out


def _build(gtin: str, serial: str, ais: list[tuple[str, str]],
           repairs: list[str]) -> MarkingCode:
    found = dict(ais)
    if len(found) != len(ais):
        raise BrokenCode("unknown_ai", "an AI appears twice")
    key_id, crypto, check = found.pop("91", None), found.pop("92", None), found.pop("93", None)
    if (key_id is None) != (crypto is None):
        missing = "92 (crypto)" if crypto is None else "91 (key id)"
        raise BrokenCode("no_crypto", f"AI {missing} is missing: the FN cannot verify it")
    if crypto is not None and len(crypto) not in _CRYPTO_LENGTHS:
        raise BrokenCode("truncated", f"the crypto tail (92) has {len(crypto)} characters,"
                                      " not 44 or 88")
    if crypto is None and check is None:
        raise BrokenCode("no_crypto", "neither 91/92 nor 93: nothing to verify the code with")
    if check is not None and crypto is not None:
        raise BrokenCode("unknown_ai", "both a crypto tail (92) and a check code (93)")
    extra = tuple((ai, found[ai]) for ai in ("8005", "3103") if ai in found)
    return MarkingCode(gtin=gtin, serial=serial, key_id=key_id, crypto=crypto, check=check,
                       extra=extra, repairs=tuple(repairs))


def _restore(gtin: str, rest: str, repairs: list[str]) -> MarkingCode:
    """No GS at all (a wedge dropped them): try the serial lengths КМ use and keep the one
    the remainder parses after; ambiguity or nothing fitting is a broken code."""
    found: list[MarkingCode] = []
    for n in _SERIAL_LENGTHS:
        tail = rest[n:]
        if len(rest) <= n or not (tail.startswith("91") or tail.startswith("93")
                                  or tail.startswith("8005")):
            continue
        try:
            ais = _split_ai(tail)
            found.append(_build(gtin, rest[:n], ais, [*repairs, "gs_restored"]))
        except BrokenCode:
            continue
    if not found:
        if "91" not in rest and "93" not in rest:
            raise BrokenCode("no_crypto", "no crypto tail (91/92 or 93) after the serial")
        raise BrokenCode("no_gs", "the GS separators are missing and the fields cannot be"
                                  " told apart: set the scanner to send GS (or a substitute)")
    if len({c.code for c in found}) > 1:
        raise BrokenCode("no_gs", "the GS separators are missing and more than one reading"
                                  " fits: set the scanner to send GS (or a substitute)")
    return found[0]
