"""What people read from this plugin (Russian first, English on request)."""

from __future__ import annotations

_BROKEN_RU = {
    "characters": "В коде маркировки есть недопустимые символы: отсканируйте ещё раз.",
    "not_marking": "Это не код маркировки «Честного знака» (нет GTIN в начале).",
    "gtin": "GTIN в коде маркировки неполный: отсканируйте ещё раз.",
    "gtin_check": "Контрольная цифра GTIN не сходится: код повреждён.",
    "serial": "Серийный номер в коде маркировки повреждён.",
    "case": "Регистр букв в коде маркировки искажён (Caps Lock или раскладка сканера):"
            " отключите Caps Lock и отсканируйте ещё раз.",
    "unknown_ai": "В коде маркировки лишние или повторяющиеся поля: код повреждён.",
    "truncated": "Код маркировки прочитан не полностью: отсканируйте ещё раз.",
    "no_crypto": "В коде маркировки нет криптохвоста (91/92 или 93): его нельзя проверить.",
    "no_gs": "Сканер потерял разделители GS: настройте его передавать GS или замену.",
}
_HID_RU = {"size": "отчёт не 64 байта", "report_id": "чужой номер отчёта",
           "length": "длина данных больше 56", "aim": "неверный идентификатор символики",
           "flags": "неизвестные флаги", "too_long": "код длиннее 4096 байт"}
_HID_EN = {"size": "not a 64-byte report", "report_id": "another report ID",
           "length": "data length over 56", "aim": "not an AIM symbology identifier",
           "flags": "unknown flags", "too_long": "a code over 4096 bytes"}
_BROKEN_EN = {
    "characters": "The marking code has characters that cannot be in it: scan it again.",
    "not_marking": "This is not a Chestny Znak marking code (no GTIN at its start).",
    "gtin": "The GTIN in the marking code is incomplete: scan it again.",
    "gtin_check": "The GTIN check digit does not match: the code is damaged.",
    "serial": "The serial number in the marking code is damaged.",
    "case": "The letter case of the marking code is damaged (Caps Lock or the scanner's"
            " layout): turn Caps Lock off and scan it again.",
    "unknown_ai": "The marking code has unexpected or repeated fields: it is damaged.",
    "truncated": "The marking code was read only in part: scan it again.",
    "no_crypto": "The marking code has no crypto tail (91/92 or 93): it cannot be verified.",
    "no_gs": "The scanner lost the GS separators: set it to send GS or a substitute.",
}

TEXTS: dict[str, dict[str, str]] = {
    "ru": {"scanner.port": "Сканер «{name}» ({port}) недоступен: {reason}.",
           "scanner.hid_torn": "Сканер «{name}» прислал код не полностью, он отброшен: "
                               "отсканируйте ещё раз.",
           "scanner.hid_bad": "Сканер «{name}» прислал не отчёт HID POS ({reason}), он "
                              "отброшен: проверьте, что сканер в режиме HID POS.",
           **{f"scanner.broken.{k}": v for k, v in _BROKEN_RU.items()},
           **{f"scanner.hid_reason.{k}": v for k, v in _HID_RU.items()}},
    "en": {"scanner.port": "Scanner '{name}' ({port}) is unavailable: {reason}.",
           "scanner.hid_torn": "Scanner '{name}' sent a code only in part; it was dropped: "
                               "scan it again.",
           "scanner.hid_bad": "Scanner '{name}' sent something that is not a HID POS report "
                              "({reason}); it was dropped: check the scanner is in HID POS "
                              "mode.",
           **{f"scanner.broken.{k}": v for k, v in _BROKEN_EN.items()},
           **{f"scanner.hid_reason.{k}": v for k, v in _HID_EN.items()}},
}
