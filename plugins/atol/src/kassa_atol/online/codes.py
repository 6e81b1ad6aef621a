"""ATOL Online's error codes, shared by the client and the simulator so they cannot drift.

Confirmed by a client (fiscal.md §2.4, ``MyBook/django-atol:atol/core.py``): 1, 32, 33, 34,
40 and HTTP 401 = "get a new token". The codes for wrong credentials, an expired token and
an unknown group are not in the sources (§13.4): ours, marked unverified in the docs; the
client tells them apart by HTTP status and by where they come from, not by the number.
"""

from __future__ import annotations

from typing import Any

PROCESSING_FAILED = 1  # "resend with a new external_id"
VALIDATION = 32  # the receipt breaks a rule (text names the field)
DUPLICATE = 33  # external_id + group already exist: the existing uuid comes with it
NOT_READY = 34  # the document is not processed yet: poll again
BAD_REQUEST = 40  # not JSON, wrong shape
# unverified numbers (see the module docstring)
BAD_CREDENTIALS = 12
TOKEN_EXPIRED = 11
UNKNOWN_GROUP = 2
UNKNOWN_UUID = 3  # report/{uuid} for a uuid this group never issued

TEXTS = {
    PROCESSING_FAILED: "Ошибка обработки документа, повторите запрос с новым external_id",
    VALIDATION: "Ошибка валидации входного запроса",
    DUPLICATE: "В системе существует чек с external_id и group_code",
    NOT_READY: "Документ еще не обработан",
    BAD_REQUEST: "Некорректный запрос",
    BAD_CREDENTIALS: "Неверный логин или пароль",
    TOKEN_EXPIRED: "Срок действия токена истек",
    UNKNOWN_GROUP: "Передан некорректный код группы",
    UNKNOWN_UUID: "Документ с таким uuid не найден",
}
TYPES = {PROCESSING_FAILED: "system", VALIDATION: "system", DUPLICATE: "system",
         NOT_READY: "system", BAD_REQUEST: "system", BAD_CREDENTIALS: "system",
         TOKEN_EXPIRED: "system", UNKNOWN_GROUP: "system", UNKNOWN_UUID: "system"}


def error(code: int, detail: str = "", error_id: str = "") -> dict[str, Any]:
    """The v4/v5 error object ``{"error_id","code","text","type"}``."""
    text = TEXTS[code] + (f": {detail}" if detail else "")
    return {"error_id": error_id, "code": code, "text": text, "type": TYPES[code]}
