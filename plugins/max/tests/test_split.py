import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st
from kassa_max.html_split import split_html
from kassa_max.sim_markup import parse_html

LIMIT = 3999


class Balance(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
        self.ok = True

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


def balanced(part: str) -> bool:
    p = Balance()
    p.feed(part)
    p.close()
    return p.ok and not p.stack


def visible(parts):
    text = "".join(parse_html(re.sub(r"\n\(\d+/\d+\)$", "", p))[0] for p in parts)
    return re.sub(r"\s+", "", text)


def test_short_text_is_one_part():
    assert split_html("<b>Стол 12</b>", LIMIT) == ["<b>Стол 12</b>"]


def test_long_report_splits_at_lines_and_numbers_parts():
    lines = [f"<b>Стол {i}</b> · Стейк рибай ×1 — 2 450 ₽ &amp; соус" for i in range(400)]
    text = "\n".join(lines)
    parts = split_html(text, LIMIT)
    assert len(parts) > 1
    assert all(len(p) <= LIMIT for p in parts)
    assert parts[0].endswith(f"(1/{len(parts)})")
    # cut at line boundaries: every part starts with a whole line
    assert all(p.startswith("<b>Стол ") for p in parts)
    assert visible(parts) == visible([text])


def test_a_tag_spanning_a_cut_is_closed_and_reopened():
    text = "<blockquote><i>" + ("слово " * 1500) + "</i></blockquote>"
    parts = split_html(text, LIMIT)
    assert len(parts) == 3
    for p in parts:
        assert len(p) <= LIMIT and balanced(p)
        assert p.startswith("<blockquote><i>")
    assert visible(parts) == visible([text])


def test_entities_and_links_are_never_cut():
    text = ('<a href="https://lk.example.ru/e/9f3a">ссылка</a> &amp;&lt;&gt; ' * 400)
    parts = split_html(text, LIMIT)
    for p in parts:
        body = re.sub(r"\n\(\d+/\d+\)$", "", p)
        assert not re.search(r"&[a-z]*$", body) and balanced(body)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "b", "i", "code", "a"]),
                          st.text(alphabet="ab вг\n<>&", min_size=0, max_size=60)),
                max_size=120),
       st.integers(min_value=40, max_value=400))
def test_parts_fit_stay_balanced_and_keep_the_text(chunks, limit):
    import html
    text = "".join((f'<{t} href="x">' if t == "a" else f"<{t}>") + html.escape(s) + f"</{t}>"
                   if t else html.escape(s) for t, s in chunks)
    parts = split_html(text, limit)
    assert all(len(p) <= limit for p in parts)
    assert all(balanced(re.sub(r"\n\(\d+/\d+\)$", "", p)) for p in parts)
    assert visible(parts) == visible([text])
