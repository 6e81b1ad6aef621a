"""Write docs/hooks.md (run: python docs/gen_hooks.py; any Python 3.11+, nothing installed).

Two sources meet here. The explanations and examples are hand-written, one file per concern
in docs/hooks/<concern>.md, one "### <hook>" section per hook. Everything else comes from the
hookspecs: typed signatures, sync-only / may-be-async (kassa.conformance.SYNC_ONLY, what load
enforces), the Protocols and their typed members, the error tables, the contract model.

The hookspecs are parsed with ``ast``, never imported: annotations are rendered from the
source text, so the page is the same on every Python (an evaluated type's repr is not), and
the generator needs neither pluggy nor attrs. tests/test_docs.py fails when the committed
page differs from ``render()``, when a hook or a Protocol member is missing or its signature
differs, and runs every example on the page against the real plugin manager.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SRC = DOCS.parent / "core" / "src" / "kassa"
HOOKS_SRC = SRC / "hookspecs"
MODEL_MODULES = ("ffd", "fiscal", "payment", "device")
ENUM_BASES = {"Enum", "IntEnum", "IntFlag", "StrEnum", "Flag"}


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def literal(tree: ast.Module, name: str) -> object:
    """The value of a module-level ``name = <literal>`` (annotated or not)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == name and node.value is not None:
            return ast.literal_eval(node.value)
    raise LookupError(f"{name} is not a literal in this module")


def modules() -> tuple[str, ...]:
    value = literal(parse(HOOKS_SRC / "__init__.py"), "MODULES")
    assert isinstance(value, tuple)
    return tuple(str(v) for v in value)


def _arg(a: ast.arg, default: ast.expr | None) -> str:
    text = a.arg
    if a.annotation is not None:
        text += f": {ast.unparse(a.annotation)}"
        if default is not None:
            text += f" = {ast.unparse(default)}"
    elif default is not None:
        text += f"={ast.unparse(default)}"
    return text


def signature(fn: ast.FunctionDef | ast.AsyncFunctionDef, *, method: bool = False) -> str:
    """``name(a: T, *, b: U = None) -> R`` as written in the source (``self`` dropped)."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
    defaults += a.defaults
    parts: list[str] = []
    for i, arg in enumerate(positional):
        if not (method and i == 0):
            parts.append(_arg(arg, defaults[i]))
        if a.posonlyargs and i == len(a.posonlyargs) - 1:
            parts.append("/")
    if a.vararg is not None:
        parts.append("*" + _arg(a.vararg, None))
    elif a.kwonlyargs:
        parts.append("*")
    parts += [_arg(k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)]
    if a.kwarg is not None:
        parts.append("**" + _arg(a.kwarg, None))
    ret = f" -> {ast.unparse(fn.returns)}" if fn.returns is not None else ""
    return f"{fn.name}({', '.join(parts)}){ret}"


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[str]:
    out = []
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        out.append(ast.unparse(target).rsplit(".", 1)[-1])
    return out


def hooks(tree: ast.Module) -> list[ast.FunctionDef]:
    return [n for n in tree.body if isinstance(n, ast.FunctionDef)
            and "hookspec" in _decorators(n)]


def firstresult(fn: ast.FunctionDef) -> bool:
    for d in fn.decorator_list:
        if isinstance(d, ast.Call) and ast.unparse(d.func) == "hookspec":
            return any(k.arg == "firstresult" and ast.literal_eval(k.value) is True
                       for k in d.keywords)
    return False


def protocols(tree: ast.Module) -> list[ast.ClassDef]:
    """Classes that list ``Protocol`` among their bases."""
    return [n for n in tree.body if isinstance(n, ast.ClassDef)
            and any(ast.unparse(b) in ("Protocol", "typing.Protocol") for b in n.bases)]


def doc(node: ast.AST) -> str:
    text = ast.get_docstring(node, clean=True)  # type: ignore[arg-type]
    return text or ""


def first_paragraph(text: str) -> str:
    return " ".join(text.split("\n\n")[0].split())


def _comment(lines: list[str], node: ast.stmt) -> str:
    """The ``# comment`` on the line a one-line statement ends on."""
    line = lines[(node.end_lineno or node.lineno) - 1]
    rest = line[node.end_col_offset or 0:]
    return rest.split("#", 1)[1].strip() if "#" in rest else ""


def members(cls: ast.ClassDef, lines: list[str]) -> list[str]:
    """One bullet per member, in declaration order, each with its typed signature."""
    out: list[str] = []
    overloads: dict[str, list[str]] = {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.target.id.startswith("_"):
                continue
            note = _comment(lines, node)
            out.append(f"- `{node.target.id}: {ast.unparse(node.annotation)}`"
                       + (f" — {note}" if note else ""))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name.startswith("_"):
                continue
            decorators = _decorators(node)
            if "overload" in decorators:
                overloads.setdefault(node.name, []).append(signature(node, method=True))
                continue
            summary = first_paragraph(doc(node))
            if "property" in decorators:
                ret = ast.unparse(node.returns) if node.returns is not None else "Any"
                text = f"- `{node.name}: {ret}` (read-only property)"
            else:
                pre = "async " if isinstance(node, ast.AsyncFunctionDef) else ""
                text = f"- `{pre}{signature(node, method=True)}`"
                if node.name in overloads:
                    text += " (overloads: " + ", ".join(
                        f"`{s}`" for s in overloads.pop(node.name)) + ")"
            out.append(text + (f" — {summary}" if summary else ""))
    return out


def other_names(tree: ast.Module, lines: list[str]) -> list[str]:
    """A module's enums (``Access``) and aliases (``Emit``, ``PaymentMethod``) a plugin uses."""
    out: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and {ast.unparse(b) for b in node.bases} & ENUM_BASES:
            out += [f"### Enum `{node.name}`", ""]
            if doc(node):
                out += [doc(node), ""]
            for item in node.body:
                if isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name):
                    note = _comment(lines, item)
                    out.append(f"- `{item.targets[0].id} = {ast.unparse(item.value)}`"
                               + (f" — {note}" if note else ""))
            out.append("")
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, (ast.Name, ast.Subscript)):
            above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
            note = above[1:].strip() if above.startswith("#") else _comment(lines, node)
            out += [f"### Alias `{node.targets[0].id}`", "",
                    f"`{node.targets[0].id} = {ast.unparse(node.value)}`"
                    + (f" — {note}" if note else ""), ""]
    return out


def _without_example(text: str) -> str:
    """A hook's docstring minus its ``Example::`` block (the page has a tested one)."""
    kept = []
    for para in text.split("\n\n"):
        if para.strip().startswith("Example::") or para.startswith("    "):
            continue
        kept.append(para)
    return "\n\n".join(kept).strip()


def fragments(concern: str) -> tuple[str, dict[str, str]]:
    """docs/hooks/<concern>.md: its preamble and ``{hook: hand-written section}``."""
    path = DOCS / "hooks" / f"{concern}.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    parts = re.split(r"^### (\w+)\n", text, flags=re.MULTILINE)
    sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}
    return parts[0].strip(), sections


def mode(name: str, sync_only: set[str]) -> str:
    return "sync only" if name in sync_only else "may be async"


def checked(name: str, concerns: dict[str, tuple[str, tuple[str, ...]]],
            device_kinds: dict[str, str]) -> str:
    if name == "register_devices":
        return "`Device`, by `kind`: " + ", ".join(
            f"{k} → `{p}`" for k, p in device_kinds.items())
    if name not in concerns:
        return ""
    names = [n for n in concerns[name][1] if n != "PaymentMethod"]  # the old alias
    return " or ".join(f"`{n}`" for n in names)


def render_model() -> list[str]:
    """The value types of the contract: attrs classes with their fields, enums with values."""
    out = ["## Contract model", "",
           "Value types in `kassa.model` (frozen attrs, no I/O) that the components above take "
           "and return. Enum values are what `kassa.codec` writes (FFD codes for IntEnums).", ""]
    for m in MODEL_MODULES:
        tree = parse(SRC / "model" / f"{m}.py")
        classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        exported = literal(tree, "__all__")
        assert isinstance(exported, list)
        out += [f"### `kassa.model.{m}`", "", doc(tree).split("\n\n")[0], ""]
        for name in sorted(str(n) for n in exported):
            cls = classes.get(name)
            if cls is None:
                continue
            first = first_paragraph(doc(cls))
            if {ast.unparse(b) for b in cls.bases} & ENUM_BASES:
                values = ", ".join(
                    f"{n.targets[0].id}={n.value.value!s}" for n in cls.body
                    if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
                    and not n.targets[0].id.startswith("_") and isinstance(n.value, ast.Constant))
                out.append(f"- `{name}` — {first + ' ' if first else ''}{values}")
            elif {"frozen", "define", "mutable"} & set(_decorators(cls)):
                fields = ", ".join(
                    f"{n.target.id}: {ast.unparse(n.annotation)}" for n in cls.body
                    if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
                    and not ast.unparse(n.annotation).startswith(("ClassVar", "typing.ClassVar")))
                out.append(f"- `{name}({fields})`" + (f" — {first}" if first else ""))
        out.append("")
    return out


def render() -> str:
    conformance = parse(SRC / "conformance.py")
    sync_only = {str(h) for h in literal(conformance, "SYNC_ONLY")}  # type: ignore[attr-defined]
    concerns = literal(conformance, "CONCERNS")
    device_kinds = literal(conformance, "DEVICE_KINDS")
    assert isinstance(concerns, dict) and isinstance(device_kinds, dict)
    trees = {m: parse(HOOKS_SRC / f"{m}.py") for m in modules()}
    known = {c.name for t in trees.values() for c in protocols(t)}

    intro = (DOCS / "hooks" / "intro.md").read_text(encoding="utf-8").strip()
    out = [intro, "", "## Signature table", "",
           "Every hook with its typed signature (generated from `kassa.hookspecs`). *Sync "
           "only*: an `async def` implementation fails load. *May be async*: the core awaits "
           "what comes back. *firstresult*: the first non-`None` answer wins.", "",
           "| Hook | Signature | Call | Components checked against |",
           "| --- | --- | --- | --- |"]
    for tree in trees.values():
        for fn in hooks(tree):
            call = mode(fn.name, sync_only) + ("; firstresult" if firstresult(fn) else "")
            cell = signature(fn).replace("|", "\\|")  # a bare | would split the cell
            out.append(f"| [`{fn.name}`](#{fn.name}) | `{cell}` | {call} | "
                       f"{checked(fn.name, concerns, device_kinds) or '—'} |")
    out.append("")
    contract = (DOCS / "hooks" / "contract.md").read_text(encoding="utf-8").strip()
    for m, tree in trees.items():
        if m == "payments":
            out += [contract, ""]
        preamble, written = fragments(m)
        specs = {fn.name: fn for fn in hooks(tree)}
        missing = sorted(set(specs) - set(written))
        extra = sorted(set(written) - set(specs))
        if missing or extra:
            raise SystemExit(f"docs/hooks/{m}.md: no section for {missing}; "
                             f"sections for no hook of {m}: {extra}")
        out += [f"## {m}", "", doc(tree), ""]
        if preamble:
            out += [preamble, ""]
        for name, text in written.items():  # the hand-written order
            fn = specs[name]
            call = mode(name, sync_only) + ("; firstresult" if firstresult(fn) else "")
            out += [f"### {name}", "", f"`{signature(fn)}` — {call}", ""]
            spec = _without_example(doc(fn))
            out += ["\n".join(f"> {ln}".rstrip() for ln in spec.splitlines()), "", text, ""]
        lines = (HOOKS_SRC / f"{m}.py").read_text(encoding="utf-8").splitlines()
        for cls in protocols(tree):
            out += [f"### Protocol `{cls.name}`", ""]
            bases = [ast.unparse(b) for b in cls.bases if ast.unparse(b) in known]
            if bases:
                out += [f"Also has every member of {' and '.join(f'`{b}`' for b in bases)}.", ""]
            if doc(cls):
                out += [doc(cls), ""]
            out += members(cls, lines)
            out.append("")
        out += other_names(tree, lines)
    out += render_model()
    return "\n".join(out)


if __name__ == "__main__":
    (DOCS / "hooks.md").write_text(render(), encoding="utf-8")
