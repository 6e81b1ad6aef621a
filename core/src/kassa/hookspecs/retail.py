"""Retail till hooks: conditions a plugin adds to the till's message rules.

The till (``kassa-pos``) shows the cashier prompts and prints receipt texts from rules in
its config (``[[pos.messages]]``); each rule's ``when`` table names conditions. The built-in
ones are the till's own (event, item, group, guest, amount, time); a key that is not one of
them is looked up among the ``TillCondition`` components plugins register here, so a plugin
can add, say, a weather or a stock-level condition without the till knowing the plugin.
"""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from kassa.hookspecs import hookspec


@runtime_checkable
class TillCondition(Protocol):
    """One condition a message rule can name in its ``when`` table."""

    name: str  # the key in ``when``; must not be one of the till's built-in conditions

    def parse(self, value: Any) -> Any:
        """The rule's config value (TOML: a string, number, list or table) -> what
        ``matches`` gets. Called once when the rules load; raise ``ValueError`` with one
        sentence for a bad value (the till names the rule and the key around it)."""
        ...

    def matches(self, event: Any, value: Any) -> bool:
        """Does the till event satisfy the condition? ``event`` is the till's
        ``kassa_pos.engine.messages.TillEvent`` (kind, check_id, lines with code, group and
        flags, total in kopecks, guest or None, local time ``at``, the ``line`` the event is
        about); ``value`` is what ``parse`` returned. Called on every till event a rule
        listens to, so it must be quick and must not block (no I/O)."""
        ...


@hookspec
def register_till_conditions() -> Sequence[TillCondition]:
    """Called when the till loads its message rules. Return extra rule conditions. Sync only:
    rules load where nothing can await."""
