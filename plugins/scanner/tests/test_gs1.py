"""The marking-code parser over the corpus (tests/fixtures/km_corpus.json), the wedge
damage it repairs, and properties: a valid code survives its own damage or is refused with
a reason, never read wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kassa_scanner import gs1
from kassa_scanner.sim import wedge_text

GS = gs1.GS


def corpus() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        (Path(__file__).parent / "fixtures" / "km_corpus.json").read_text())
    return data


VALID = [c for c in corpus() if c["valid"]]
BROKEN = [c for c in corpus() if not c["valid"]]


@pytest.mark.parametrize("case", VALID, ids=lambda c: c["name"])
def test_valid_codes_parse(case: dict[str, Any]) -> None:
    code = gs1.parse(case["raw"])
    assert code.gtin == case["gtin"]
    raw = case["raw"].removeprefix("]d2").lstrip(GS)
    assert code.code == raw  # handed on as scanned, GS kept
    assert code.repairs == ()


@pytest.mark.parametrize("case", BROKEN, ids=lambda c: c["name"])
def test_broken_codes_say_why(case: dict[str, Any]) -> None:
    with pytest.raises(gs1.BrokenCode) as info:
        gs1.parse(case["raw"])
    assert info.value.reason == case["reason"]


@pytest.mark.parametrize("case", VALID[:9], ids=lambda c: c["name"])
def test_gs_lost_by_a_wedge_is_restored(case: dict[str, Any]) -> None:
    raw = case["raw"]
    code = gs1.parse(wedge_text(raw, gs=None))
    assert code.code == raw and "gs_restored" in code.repairs


def test_gs_typed_as_a_substitute() -> None:
    raw = VALID[0]["raw"]
    code = gs1.parse(wedge_text(raw, gs="~"), gs_substitute="~")
    assert code.code == raw and code.repairs == ("gs_substitute",)


def test_russian_layout_is_mapped_back() -> None:
    raw = "0104607001234562" + "21" + "AbCdEfGhIjKlM" + GS + "91EE10" + GS + "92" + "Qw" * 22
    typed = wedge_text(raw, gs="~", layout="ru")
    assert any("\u0400" <= c <= "\u04ff" for c in typed)
    code = gs1.parse(typed, gs_substitute="~")
    assert code.code == raw and "layout" in code.repairs


def test_ambiguous_gs_loss_is_refused() -> None:
    # a 6-char serial followed by data that also reads as 91/92 after 13 chars
    raw = "0104607001234562" + "21" + "AbCdEf" + "93ab" + GS + "93" + "Zz12"
    with pytest.raises(gs1.BrokenCode):
        gs1.parse(raw.replace(GS, ""))


def test_gtin_check_digit() -> None:
    assert gs1.gtin_ok("04607001234562")
    assert not gs1.gtin_ok("04607001234563")


# ---- properties -------------------------------------------------------------------------

ALNUM = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
SERIAL = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%&*+-./")


def _with_check(body: str) -> str:
    for d in "0123456789":
        if gs1.gtin_ok(body + d):
            return body + d
    raise AssertionError


@st.composite
def codes(draw: Any) -> gs1.MarkingCode:
    gtin = _with_check(draw(st.text("0123456789", min_size=13, max_size=13)))
    short = draw(st.booleans())
    n = 6 if short else 13
    serial = draw(st.text(SERIAL, min_size=n, max_size=n))
    if short:
        return gs1.MarkingCode(gtin=gtin, serial=serial,
                               check=draw(st.text(ALNUM, min_size=4, max_size=4)))
    return gs1.MarkingCode(gtin=gtin, serial=serial,
                           key_id=draw(st.text(ALNUM, min_size=4, max_size=4)),
                           crypto=draw(st.text(ALNUM, min_size=44, max_size=44)))


def _mixed_case(code: gs1.MarkingCode) -> bool:
    letters = [c for c in code.code[18:] if c.isalpha()]
    return not (len(letters) >= 8 and (all(c.islower() for c in letters)
                                       or all(c.isupper() for c in letters)))


@settings(max_examples=300, deadline=None)
@given(codes())
def test_round_trip(code: gs1.MarkingCode) -> None:
    if _mixed_case(code):
        assert gs1.parse(code.code).code == code.code


@settings(max_examples=300, deadline=None)
@given(codes(), st.sampled_from(["en", "ru"]), st.sampled_from([None, "~", "^"]))
def test_wedge_damage_is_repaired_or_refused_never_misread(code: gs1.MarkingCode,
                                                           layout: str, gs: str | None) -> None:
    if gs is not None and gs in code.code:
        return  # a substitute that also occurs in the code cannot be told apart
    typed = wedge_text(code.code, gs=gs, layout=layout)
    try:
        got = gs1.parse(typed, gs_substitute=gs or "")
    except gs1.BrokenCode as exc:
        assert exc.reason in ("no_gs", "case", "unknown_ai", "no_crypto", "truncated")
        return
    assert got.code == code.code


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_parses_or_gives_a_reason(text: str) -> None:
    try:
        gs1.parse(text)
    except gs1.BrokenCode as exc:
        assert exc.reason and exc.detail
