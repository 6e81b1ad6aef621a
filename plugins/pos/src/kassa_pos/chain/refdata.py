"""Reference data down to the stores: versioned FULL packages of the catalog and price lists,
of the store's rules (``rules``: staff and their rights, discount limits, discount and
promotion rules; what ``[pos]`` holds of them is replaced by the applied package), of the
tills' layout (``layout``), of the label scales' PLU table (``plu``: ``chain/plu.py``;
loaded into the scales after the apply by ``chain/plu_upload.py``) and of the chain's client
register (``clients``: ``chain/clients.py``; applied into the store's ``pos_ref_client``, read
at the till by ``engine/client_register.py`` when the loyalty programme is out of reach).

The centre checks a file (``check``), gives it the next version of its kind in
``pos_ref_package`` (``assign``, one transaction) and publishes it (``refdata_stream``);
a store applies a package newer than what it has in ONE write transaction: the full import
(``catalog_import.import_on(..., full=True)``: what the package omits is removed) and its
``pos_ref_applied`` row (``apply_package``); that row goes up as a ``ref`` chain document
and the centre keeps each store's version in ``pos_ref_store`` (``record_store``). The tables
come from migration ``pos_refdata_0001``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from attrs import frozen
from kassa.errors import UserError

from kassa_pos.engine.catalog_import import CatalogData, ImportReport, Reject, check, import_on

CATALOG = "catalog"
RULES = "rules"
LAYOUT = "layout"  # the tills' layout file (keys, quick items, the scanner's timing)
PLU = "plu"  # the weighed goods of the store's label scales (kassa.model.PluItem rows)
CLIENTS = "clients"  # the chain's cards: guest, name, groups, birthday, blocked
KINDS = (CATALOG, RULES, LAYOUT, PLU, CLIENTS)
# packages that travel as one body (not catalog rows); the store keeps it whole in
# ``pos_ref_body``, except ``clients``, whose rows replace the store's client register
BODY_KINDS = (RULES, LAYOUT, PLU, CLIENTS)
# what a rules package may carry: keys of ``[pos]`` (kassa_pos.settings.PosSettings)
RULE_KEYS = ("staff", "rights", "manual_discount_limit", "void_needs_manager", "discounts",
             "messages")

metadata = sa.MetaData()
_TS = sa.DateTime(timezone=True)
package_t = sa.Table(  # the centre: what was published, version monotonic per kind
    "pos_ref_package", metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("version", sa.BigInteger, primary_key=True),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("stores", sa.Text, nullable=False),  # JSON list of store codes
    sa.Column("digest", sa.String(64), nullable=False),
    # the package as sent (None: published before the centre kept bodies): a store opened
    # later is sent the latest of each kind from here
    sa.Column("body", sa.Text),
)
store_t = sa.Table(  # the centre: each store's applied version, from its ``ref`` documents
    "pos_ref_store", metadata,
    sa.Column("store", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("applied_at", _TS, nullable=False),
)
applied_t = sa.Table(  # the store: the packages applied (the newest is the store's version)
    "pos_ref_applied", metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("version", sa.BigInteger, primary_key=True),
    sa.Column("applied_at", _TS, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
)
body_t = sa.Table(  # the store: the applied package's body of a kind kept whole (rules)
    "pos_ref_body", metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)
failed_t = sa.Table(  # the store: packages refused; the previous version stayed
    "pos_ref_failed", metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("version", sa.BigInteger, primary_key=True),
    sa.Column("failed_at", _TS, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
)


class RefusedPackage(UserError):
    """A package (or a file to publish) whose data does not import: one sentence."""


def digest(data: CatalogData) -> str:
    """SHA-256 of the package's data in canonical JSON: the same file, the same digest."""
    doc = {"items": [dict(r) for r in data.items],
           "price_lists": [dict(r) for r in data.price_lists]}
    raw = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                     default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def rules_digest(body: Mapping[str, Any]) -> str:
    raw = json.dumps(dict(body), ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                     default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_rules(body: Mapping[str, Any], locale: str = "ru") -> Any:
    """The rules as ``[pos]`` settings (``PosSettings``, every check of the config file:
    known roles and rights, one PIN per person, unique rule names...); ``RefusedPackage``
    naming the first bad key. Environment references are not expanded: a package carries
    values, not a store's secrets."""
    from kassa.config import parse
    from kassa.errors import ConfigError

    from kassa_pos.settings import PosSettings

    if not isinstance(body, Mapping):
        raise RefusedPackage("пакет правил — не таблица" if locale != "en" else
                             "a rules package is not a table")
    unknown = sorted(set(body) - set(RULE_KEYS))
    if unknown:
        raise RefusedPackage(
            f"в пакете правил неизвестные ключи: {', '.join(unknown)} (допустимы: "
            f"{', '.join(RULE_KEYS)})" if locale != "en" else
            f"unknown keys in the rules package: {', '.join(unknown)} (allowed: "
            f"{', '.join(RULE_KEYS)})")
    if not body:
        raise RefusedPackage("пакет правил пуст" if locale != "en" else
                             "the rules package is empty")
    try:
        settings = parse({"pos": dict(body)}, sections={"pos": PosSettings}, env={},
                         file="rules")
        if "messages" in body:  # the till's message rules, with the plugins' conditions
            from kassa.plugins import get_plugins

            from kassa_pos.engine.message_rules import load_rules

            load_rules(list(body["messages"] or []), get_plugins().till_conditions(),
                       locale=locale)
    except ConfigError as exc:
        raise RefusedPackage(str(exc)) from None
    return settings.plugins["pos"]


def parse_layout(body: Mapping[str, Any], locale: str = "ru") -> Any:
    """A layout package's body ``{"text": <the layout TOML>}`` as a till ``Layout``;
    ``RefusedPackage`` with the layout's own sentence."""
    from kassa_pos.till.layout import LayoutError, parse

    text = body.get("text") if isinstance(body, Mapping) else None
    if not isinstance(text, str) or not text.strip():
        raise RefusedPackage("в пакете раскладки нет текста раскладки" if locale != "en" else
                             "the layout package has no layout text")
    try:
        return parse(text, source="из пакета центра" if locale != "en" else
                     "from the centre's package")
    except LayoutError as exc:
        raise RefusedPackage(exc.text(locale).rstrip(".")) from None


def check_body(kind: str, body: Mapping[str, Any], locale: str = "ru") -> None:
    """A body kind's package checked as its store will apply it (``RefusedPackage``)."""
    if kind == LAYOUT:
        parse_layout(body, locale)
    elif kind == PLU:
        from kassa_pos.chain.plu import items_of

        items_of(body, locale)
    elif kind == CLIENTS:
        from kassa_pos.chain.clients import entries_of

        entries_of(body, locale)
    else:
        parse_rules(body, locale)


def effective(base: Any, body: Mapping[str, Any] | None) -> Any:
    """``base`` (the ``[pos]`` settings) with what the applied rules package carries."""
    if not body:
        return base
    import attrs

    parsed = parse_rules(body)
    return attrs.evolve(base, **{k: getattr(parsed, k) for k in RULE_KEYS if k in body})


def reject_text(r: Reject, locale: str = "ru") -> str:
    if locale == "en":
        return f"row {r.row} ({r.code or '?'}): {r.error.text('en')}"
    return f"строка {r.row} ({r.code or '?'}): {r.error.text('ru')}"


def validate(data: CatalogData, locale: str = "ru") -> None:
    """Raises ``RefusedPackage`` naming the first bad row; an empty catalog is refused too
    (a full package without items would empty every store)."""
    rejects = check(data)
    if rejects:
        raise RefusedPackage(reject_text(rejects[0], locale))
    if not data.items:
        raise RefusedPackage("в пакете нет товаров: пустой каталог магазинам не отправляется"
                             if locale != "en" else
                             "the package has no items: an empty catalog is not sent")


@frozen
class Package:
    """A full package as it travels: ``{kind, version, full, digest, items, price_lists}``
    (a catalog) or ``{kind, version, full, digest, body}`` (rules: ``RULE_KEYS``)."""

    kind: str
    version: int
    items: Sequence[Mapping[str, Any]]
    price_lists: Sequence[Mapping[str, Any]]
    digest: str
    body: Mapping[str, Any] = {}

    @classmethod
    def of(cls, data: CatalogData, version: int, kind: str = CATALOG) -> Package:
        return cls(kind=kind, version=version, items=list(data.items),
                   price_lists=list(data.price_lists), digest=digest(data))

    @classmethod
    def of_rules(cls, body: Mapping[str, Any], version: int, kind: str = RULES) -> Package:
        return cls(kind=kind, version=version, items=[], price_lists=[], body=dict(body),
                   digest=rules_digest(body))

    @property
    def data(self) -> CatalogData:
        return CatalogData(items=self.items, price_lists=self.price_lists)

    def _digest(self) -> str:
        return rules_digest(self.body) if self.kind in BODY_KINDS else digest(self.data)

    def encode(self) -> bytes:
        head = {"kind": self.kind, "version": self.version, "full": True,
                "digest": self.digest}
        rest = {"body": dict(self.body)} if self.kind in BODY_KINDS else {
            "items": list(self.items), "price_lists": list(self.price_lists)}
        return json.dumps({**head, **rest}, ensure_ascii=False, default=str).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Package:
        """A package as sent; ``ValueError`` when it is unreadable, not full, or its data
        does not match its digest (a part lost or mixed up on the way)."""
        try:
            d = json.loads(raw)
            rules = d["kind"] in BODY_KINDS
            body = d["body"] if rules else {}
            if not isinstance(body, dict):
                raise TypeError("the body is not an object")
            pkg = cls(kind=str(d["kind"]), version=int(d["version"]),
                      items=[] if rules else list(d["items"]),
                      price_lists=list(d.get("price_lists") or []),
                      digest=str(d["digest"]), body=body)
            full = d.get("full") is True
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"unreadable reference package: {exc}") from exc
        if pkg.kind not in KINDS:
            raise ValueError(f"reference package of unknown kind {pkg.kind!r}")
        if not full:
            raise ValueError(f"{pkg.kind} package {pkg.version}: not a full package")
        if not all(isinstance(r, dict) for r in [*pkg.items, *pkg.price_lists]):
            raise ValueError(f"{pkg.kind} package {pkg.version}: rows must be objects")
        if pkg._digest() != pkg.digest:
            raise ValueError(f"{pkg.kind} package {pkg.version}: digest does not match")
        return pkg


def _db_time(conn: Any, value: datetime) -> datetime:
    # SQLite's DateTime keeps no zone: written as naive UTC (and read back as UTC)
    value = value.astimezone(UTC)
    return value.replace(tzinfo=None) if conn.dialect.name == "sqlite" else value


# --- the store ------------------------------------------------------------------------


def applied_version(conn: Any, kind: str = CATALOG) -> int:
    """The store's version of ``kind`` (0: none applied yet); a synchronous connection."""
    top = conn.execute(sa.select(sa.func.max(applied_t.c.version))
                       .where(applied_t.c.kind == kind)).scalar()
    return int(top or 0)


def apply_package(conn: Any, pkg: Package, *, now: datetime) -> ImportReport | None:
    """In the caller's write transaction: None if the store has this version or a newer
    one; else the full import and the ``pos_ref_applied`` row, together. A package whose
    rows do not import raises ``RefusedPackage`` (the caller's transaction rolls back: the
    previous catalog and version stay)."""
    if pkg.version <= applied_version(conn, pkg.kind):
        return None
    if pkg.kind == CLIENTS:  # refused as a whole, else the whole register replaced
        from kassa_pos.chain.clients import entries_of
        from kassa_pos.engine.client_register import replace

        replace(conn, entries_of(pkg.body))
    elif pkg.kind in BODY_KINDS:
        check_body(pkg.kind, pkg.body)  # refused as a whole: the previous one stays
        conn.execute(body_t.delete().where(body_t.c.kind == pkg.kind))
        conn.execute(body_t.insert().values(kind=pkg.kind, version=pkg.version,
                                            body=json.dumps(dict(pkg.body), default=str)))
    if pkg.kind in BODY_KINDS:
        conn.execute(applied_t.insert().values(kind=pkg.kind, version=pkg.version,
                                               applied_at=_db_time(conn, now),
                                               digest=pkg.digest))
        return ImportReport(added=0, updated=0, unchanged=0, lists_changed=0, rejects=[],
                            version=0, dry_run=False)
    rejects = check(pkg.data)  # the package alone: the centre checked it, the store too
    if rejects:
        raise RefusedPackage(reject_text(rejects[0]))
    report = import_on(conn, pkg.data, full=True)
    if report.rejects:  # against what the store holds; nothing of it may stay written
        raise RefusedPackage(reject_text(report.rejects[0]))
    conn.execute(applied_t.insert().values(kind=pkg.kind, version=pkg.version,
                                           applied_at=_db_time(conn, now), digest=pkg.digest))
    return report


def rules_body(conn: Any, kind: str = RULES) -> dict[str, Any] | None:
    """The applied package's body of ``kind`` (None: none applied; ``[pos]`` and its
    files alone decide)."""
    raw = conn.execute(sa.select(body_t.c.body).where(body_t.c.kind == kind)).scalar()
    return None if raw is None else dict(json.loads(raw))


def refuse(conn: Any, kind: str, version: int, error: str, *, now: datetime) -> None:
    """The store's record of a refused package (its own transaction, after the rollback)."""
    key = (failed_t.c.kind == kind) & (failed_t.c.version == version)
    if conn.execute(sa.select(failed_t.c.version).where(key)).first() is None:
        conn.execute(failed_t.insert().values(kind=kind, version=version, error=error[:2000],
                                              failed_at=_db_time(conn, now)))


# --- the centre -----------------------------------------------------------------------


async def assign(engine: Any, kind: str, stores: Sequence[str], digest_: str, *,
                 now: datetime, body_of: Callable[[int], bytes] | None = None) -> int:
    """The next version of ``kind``, recorded in one transaction (with the package's body,
    ``body_of(version)``). PostgreSQL: the table is locked for the transaction, so two
    publishers never get the same number. The package is sent after the commit: a failed
    send leaves a gap, never a number used twice. The number is also above any version a
    store says it applied: a centre restored from an older backup no longer has those
    packages, and a store ignores a version not above its own, so it would never take
    the centre's next ones."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.exec_driver_sql("LOCK TABLE pos_ref_package IN SHARE ROW EXCLUSIVE MODE")
        top = (await conn.execute(sa.select(sa.func.max(package_t.c.version))
                                  .where(package_t.c.kind == kind))).scalar()
        held = (await conn.execute(sa.select(sa.func.max(store_t.c.version))
                                   .where(store_t.c.kind == kind))).scalar()
        version = max(int(top or 0), int(held or 0)) + 1
        await conn.execute(package_t.insert().values(
            kind=kind, version=version, created_at=now, stores=json.dumps(list(stores)),
            digest=digest_, body=body_of(version).decode() if body_of is not None else None))
    return version


async def latest(engine: Any) -> list[Package]:
    """The newest package of each kind the centre kept the body of."""
    out = []
    async with engine.connect() as conn:
        for kind in KINDS:
            raw = (await conn.execute(
                sa.select(package_t.c.body).where(package_t.c.kind == kind,
                                                  package_t.c.body.is_not(None))
                .order_by(package_t.c.version.desc()).limit(1))).scalar()
            if raw is not None:
                out.append(Package.decode(raw.encode()))
    return out


async def record_store(conn: Any, store: str, body: Mapping[str, Any]) -> None:
    """A store's ``ref`` document at the centre (inside ``ingest.apply``'s transaction):
    its version of the kind, never lowered by a late document."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    at = body.get("applied_at")
    applied = datetime.fromisoformat(at) if isinstance(at, str) else datetime.now(UTC)
    applied = applied if applied.tzinfo is not None else applied.replace(tzinfo=UTC)
    ins = pg_insert(store_t).values(store=store, kind=str(body["kind"]),
                                    version=int(body["version"]), applied_at=applied)
    await conn.execute(ins.on_conflict_do_update(
        index_elements=["store", "kind"],
        set_={"version": ins.excluded.version, "applied_at": ins.excluded.applied_at},
        where=store_t.c.version < ins.excluded.version))


async def versions(conn: Any) -> tuple[dict[str, int], dict[str, dict[str, dict[str, Any]]]]:
    """The centre's view: the newest published version per kind, and per store and kind
    the version applied and when."""
    published = {r.kind: int(r.v) for r in await conn.execute(
        sa.select(package_t.c.kind, sa.func.max(package_t.c.version).label("v"))
        .group_by(package_t.c.kind))}
    applied: dict[str, dict[str, dict[str, Any]]] = {}
    for r in await conn.execute(sa.select(store_t)):
        applied.setdefault(r.store, {})[r.kind] = {"version": int(r.version),
                                                   "applied_at": r.applied_at}
    return published, applied
