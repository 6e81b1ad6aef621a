"""``[fiscal]`` (monitor thresholds) and ``[sites.z_report]`` (when a site's Z report runs)."""

from __future__ import annotations

from attrs import define, field


@define
class FiscalSettings:
    """``[fiscal]``: how often the registers are asked and when an alert goes out."""

    poll_interval: float = 60.0  # seconds between status() polls; 0: no monitor
    shift_warn_hours: float = 23.0  # a warning before the 24-hour limit
    fn_expiry_days: int = 30  # FN expires within this many days
    fn_fill_percent: int = 90  # FN archive this full (when the register reports it)
    ofd_unsent_hours: float = 24.0  # the oldest unsent document is older than this
    ofd_overdue_days: int = 25  # danger: the OFD fines and FN blocking start at 30 days
    cashier: str = "Администратор"  # 1021 on scheduled and chat-asked Z/X reports


@define
class ZReportSettings:
    """``[sites.z_report]``: close the register shift at ``at`` (HH:MM, the site's time),
    and/or together with the site's POS shift close (``with_shift``: the closing kinds a
    source declares, or the kinds named in ``on``)."""

    at: str = field(default="", validator=lambda _s, _a, v: parse_at(v))  # "23:55"
    with_shift: bool = False
    on: list[str] = field(factory=list)  # closing kinds (empty: the source's own)
    cashier: str = ""  # empty: [fiscal].cashier


def parse_at(text: str) -> tuple[int, int] | None:
    """``"23:55"`` -> (23, 55); empty -> None; ValueError for anything else."""
    if not text:
        return None
    hh, sep, mm = text.partition(":")
    if not (sep and hh.isdigit() and mm.isdigit() and len(mm) == 2):
        raise ValueError(f"expected HH:MM, got {text!r}")
    h, m = int(hh), int(mm)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"expected HH:MM, got {text!r}")
    return h, m
