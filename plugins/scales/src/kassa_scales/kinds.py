"""The scales plugin's event kinds, declared with ``register_event_kinds``."""

from __future__ import annotations

from enum import StrEnum

from kassa.model import EventKindSpec, Severity


class Kind(StrEnum):
    SCALE_UNREACHABLE = "scale_unreachable"
    PLU_UPLOAD_FAILED = "plu_upload_failed"
    PLU_REJECTED = "plu_rejected"  # items a label scale's table leaves out (its limits)


KINDS: tuple[EventKindSpec, ...] = (
    EventKindSpec(Kind.SCALE_UNREACHABLE, severity=Severity.WARNING, group="scales",
                  title={"ru": "Весы не отвечают", "en": "Scale unreachable"}),
    EventKindSpec(Kind.PLU_UPLOAD_FAILED, severity=Severity.WARNING, group="scales",
                  title={"ru": "Не удалось загрузить товары в весы",
                         "en": "PLU upload to a scale failed"}),
    EventKindSpec(Kind.PLU_REJECTED, severity=Severity.WARNING, group="scales",
                  title={"ru": "Часть товаров не подходит весам",
                         "en": "Items a label scale cannot hold"}),
)
