"""The docs are part of the contract (datasette's meta-tests).

docs/hooks.md must show every hook's and every Protocol member's typed signature as the
imported hookspecs have it (rendered here from ``inspect.signature``, independently of the
generator's ``ast`` rendering), and every example on it must run: tests/test_docs_examples.py.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from kassa.conformance import SYNC_ONLY
from kassa.hookspecs import MODULES

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "hooks.md"


def hookspecs() -> list[tuple[str, Any]]:
    out = []
    for m in MODULES:
        mod = importlib.import_module(f"kassa.hookspecs.{m}")
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if hasattr(fn, "kassa_spec"):
                out.append((name, fn))
    return out


def protocols() -> list[tuple[str, type]]:
    out = []
    for m in MODULES:
        mod = importlib.import_module(f"kassa.hookspecs.{m}")
        # n == c.__name__: an alias (PaymentMethod = AccountPayment) is not a second Protocol
        out += [(n, c) for n, c in inspect.getmembers(mod, inspect.isclass)
                if c.__module__ == mod.__name__ and getattr(c, "_is_protocol", False)
                and n == c.__name__]
    return out


def typed(fn: Any, *, method: bool = False) -> str:
    """``name(a: T, *, b: U = None) -> R`` from the signature's string annotations."""
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())[1 if method else 0:]
    parts: list[str] = []
    star = False
    for i, p in enumerate(params):
        text = p.name
        if p.annotation is not p.empty:
            text += f": {p.annotation}"
        if p.default is not p.empty:
            text += f" = {p.default!r}" if p.annotation is not p.empty else f"={p.default!r}"
        if p.kind is p.VAR_POSITIONAL:
            text, star = "*" + text, True
        elif p.kind is p.VAR_KEYWORD:
            text = "**" + text
        elif p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        parts.append(text)
        if p.kind is p.POSITIONAL_ONLY and (i + 1 == len(params)
                                           or params[i + 1].kind is not p.POSITIONAL_ONLY):
            parts.append("/")
    ret = "" if sig.return_annotation is sig.empty else f" -> {sig.return_annotation}"
    return f"{fn.__name__}({', '.join(parts)}){ret}"


def expected_members(proto: type) -> list[str]:
    """Each member the Protocol itself declares, as the page must show it."""
    out = [f"{a}: {tp}" for a, tp in inspect.get_annotations(proto).items()
           if not a.startswith("_")]
    for attr, val in proto.__dict__.items():
        if attr.startswith("_"):
            continue
        if isinstance(val, property) and val.fget is not None:
            out.append(f"{attr}: {inspect.signature(val.fget).return_annotation}")
        elif inspect.isfunction(val):
            pre = "async " if inspect.iscoroutinefunction(val) else ""
            out.append(pre + typed(val, method=True))
    return out


def section(heading: str) -> str:
    """The page from ``heading`` to the next heading of the same or a higher level."""
    page = PAGE.read_text(encoding="utf-8")
    start = page.index(heading + "\n")
    body = start + len(heading) + 1
    level = len(heading.split(" ", 1)[0])
    end = re.search(rf"^#{{1,{level}}} ", page[body:], flags=re.MULTILINE)
    return page[start:body + end.start()] if end else page[start:]


def test_every_design_hook_exists():
    names = {n for n, _ in hookspecs()}
    design = {"register_settings", "on_startup", "on_shutdown", "register_cli_commands",
              "register_routes", "register_console_panels", "register_simulators",
              "register_sources", "on_event", "register_channels", "format_message",
              "register_commands", "register_reports", "register_payment_methods",
              "register_loyalty_programs", "register_fiscal_devices", "register_devices",
              "register_migrations", "register_event_kinds", "register_texts",
              "register_console", "register_till_conditions", "register_exchange_formats",
              "claim_device", "register_demos"}  # docs/architecture.md, departures
    assert names == design


@pytest.mark.parametrize(("name", "fn"), hookspecs())
def test_hook_is_documented_with_its_typed_signature(name, fn):
    text = section(f"### {name}")
    sig = typed(fn)
    mode = "sync only" if name in SYNC_ONLY else "may be async"
    first = "firstresult" if fn.kassa_spec.get("firstresult") else ""
    head = f"`{sig}` — {mode}" + (f"; {first}" if first else "")
    assert head in text, f"docs/hooks.md: the {name} section lacks {head!r}"
    row = f"| [`{name}`](#{name}) | `{sig.replace('|', chr(92) + '|')}` | {mode}"
    assert row in PAGE.read_text(encoding="utf-8"), f"the signature table lacks {row!r}"


@pytest.mark.parametrize(("name", "fn"), hookspecs())
def test_hook_docstring_says_how_it_is_called(name, fn):
    """What the docstring promises is what load enforces (kassa.conformance.SYNC_ONLY)."""
    doc = " ".join((inspect.getdoc(fn) or "").split())
    if name in SYNC_ONLY:
        assert "Sync only" in doc and "May be async" not in doc, name
    else:
        assert "May be async" in doc and "Sync only" not in doc, name


@pytest.mark.parametrize(("name", "proto"), protocols())
def test_protocol_members_are_documented_with_their_typed_signatures(name, proto):
    text = section(f"### Protocol `{name}`")
    documented = re.findall(r"^- `([^`]+)`", text, flags=re.MULTILINE)
    want = expected_members(proto)
    for member in want:
        assert member in documented, f"docs/hooks.md: Protocol {name} lacks `{member}`"
    assert len(documented) == len(want), \
        f"docs/hooks.md: Protocol {name} lists members it no longer has: " \
        f"{sorted(set(documented) - set(want))}"


def test_enums_and_aliases_of_the_hookspecs_are_documented():
    page = PAGE.read_text(encoding="utf-8")
    for m in MODULES:
        mod = importlib.import_module(f"kassa.hookspecs.{m}")
        for n, obj in vars(mod).items():
            if not isinstance(obj, type) or obj.__module__ != mod.__name__:
                continue
            if issubclass(obj, enum.Enum):
                text = section(f"### Enum `{n}`")
                for member in obj:
                    assert f"`{member.name} = {member.value!r}`" in text, (n, member)
            elif n != obj.__name__:  # an old name kept for a release
                assert f"`{n} = {obj.__name__}`" in page, n


def test_typed_rendering_would_catch_a_changed_signature():
    """The check above compares real text: a changed annotation would not be found."""
    from kassa.hookspecs.events import register_sources

    assert typed(register_sources) == \
        "register_sources(hub: HubAPI) -> Sequence[EventSource]"
    assert "`register_sources(hub: HubAPI) -> Sequence[Channel]`" not in \
        PAGE.read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "fn"), hookspecs())
def test_hook_has_a_test(name, fn):
    tests = (ROOT / "tests" / "test_hooks.py").read_text(encoding="utf-8")
    assert f"def test_hook_{name}(" in tests


def test_readme_starts_with_the_two_commands():
    lines = [ln for ln in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
             if ln.startswith("python3 -m pip install -q uv && uv run")]
    assert lines[:2] == ["python3 -m pip install -q uv && uv run kassa demo",
                         "python3 -m pip install -q uv && uv run nox -s tests"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "uv run nox -s tests" in ci and "uv run nox -s integration" in ci


def test_hooks_reference_is_generated_from_the_specs():
    import runpy

    gen = runpy.run_path(str(ROOT / "docs" / "gen_hooks.py"))
    assert PAGE.read_text(encoding="utf-8") == gen["render"](), \
        "docs/hooks.md is stale: run `python docs/gen_hooks.py`"
