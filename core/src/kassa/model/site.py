"""Where things happen: sites (restaurants, shops), their stations and employees."""

from __future__ import annotations

from attrs import frozen


@frozen
class Site:
    code: str
    name: str
    timezone: str = "Europe/Moscow"


@frozen
class Station:
    code: str
    name: str


@frozen
class Employee:
    code: str
    name: str
    role: str | None = None
