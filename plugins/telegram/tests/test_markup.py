"""Telegram HTML parsing and splitting (pure functions, no sockets)."""

from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kassa_telegram.markup import MarkupError, parse, utf16_len
from kassa_telegram.splitting import split_html, visible_len


@pytest.mark.parametrize(("text", "error"), [
    ("<ul><li>x</li></ul>", 'Unsupported start tag "ul" at byte offset 0'),
    ("Стол 5 <b>x", 'Can\'t find end tag corresponding to start tag "b"'),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ("й<b>x</i>", 'Unmatched end tag at byte offset 6, expected "</b>", found "</i>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ('<a href="x>y', "Unclosed start tag at byte offset 0"),
    ("<span>s</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
])
def test_parse_refuses_what_telegram_refuses(text: str, error: str) -> None:
    with pytest.raises(MarkupError) as err:
        parse(text)
    assert str(err.value) == error


def test_parse_entities_count_utf16_units() -> None:
    plain, entities = parse("😀 <b>Стол &lt;5&gt;</b> <a href='https://x.ru/?a=1&amp;b=2'>l</a>")
    assert plain == "😀 Стол <5> l"
    assert entities == [
        {"offset": 3, "length": 8, "type": "bold"},  # the emoji is two UTF-16 units
        {"offset": 12, "length": 1, "type": "text_link", "url": "https://x.ru/?a=1&b=2"}]


def test_unknown_named_entity_stays_literal_and_numeric_ones_decode() -> None:
    assert parse("a&nbsp;b &#8381; &#x20BD;")[0] == "a&nbsp;b ₽ ₽"


def test_pre_with_language_is_one_entity() -> None:
    _, entities = parse('<pre><code class="language-python">x = 1</code></pre>')
    assert entities == [{"offset": 0, "length": 5, "type": "pre", "language": "python"}]


def test_short_text_is_left_alone() -> None:
    assert split_html("<b>x</b>") == ["<b>x</b>"]


def test_split_closes_and_reopens_tags_with_attributes() -> None:
    body = '<a href="https://k.ru/r?x=1&amp;y=2"><b>' + "слово " * 1000 + "</b></a>"
    parts = split_html(body, 4096)
    assert len(parts) == 2
    assert parts[0].endswith("</b></a>")
    assert parts[1].startswith('<a href="https://k.ru/r?x=1&amp;y=2"><b>')
    assert "".join(parse(p)[0] for p in parts) == parse(body)[0]


def test_split_prefers_paragraphs_then_lines() -> None:
    para = ("строка\n" * 300).strip()
    text = "\n\n".join([para] * 3)
    parts = split_html(text, 4096)
    assert all(visible_len(p) <= 4096 for p in parts)
    assert parts[0].endswith("\n\n")  # cut at a paragraph break


def test_split_counts_emoji_as_two_units() -> None:
    text = "😀" * 3000  # 3000 characters but 6000 UTF-16 units
    parts = split_html(text, 4096)
    assert [utf16_len(p) for p in parts] == [4096, 1904]


def test_split_never_cuts_an_entity() -> None:
    text = "&amp;" * 5000
    parts = split_html(text, 4096)
    assert all(p.replace("&amp;", "") == "" for p in parts)
    assert sum(visible_len(p) for p in parts) == 5000


_words = st.lists(st.sampled_from(
    ["слово", "😀", "a&b", "<x>", "\n", "\n\n", " ", "₽", "x" * 50, "👨‍👩‍👧"]), max_size=400)
_tags = st.sampled_from(["b", "i", "u", "s", "code", "tg-spoiler", "blockquote"])


@st.composite
def _html(draw: st.DrawFn) -> str:
    out = []
    for _ in range(draw(st.integers(1, 6))):
        words = html.escape("".join(draw(_words)), quote=False)
        tag = draw(st.one_of(st.none(), _tags))
        out.append(f"<{tag}>{words}</{tag}>" if tag else words)
    return "".join(out)


@settings(max_examples=60, deadline=None)
@given(_html(), st.integers(min_value=20, max_value=300))
def test_split_property_parts_fit_parse_and_lose_nothing(text: str, limit: int) -> None:
    parts = split_html(text, limit)
    for p in parts:
        assert visible_len(p) <= limit
        parse(p)  # balanced, valid Telegram HTML
    assert "".join(parse(p)[0] for p in parts) == parse(text)[0]
