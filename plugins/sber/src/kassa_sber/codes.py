"""UPOS return codes and what Kassa does with each (kutsoff/pilot_nt.sberbank:doc/Error Codes;
fiscal.md §6.1). The table in docs/plugins/sber.md is this one."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"  # an answer: CardResult(approved=False) -> UserError at the hub
    NO_LINK = "no_link"  # nothing happened, try again later -> RetryLater
    PERMANENT = "permanent"  # will never work as asked -> Permanent


# code -> (kind, the cashier's sentence in Russian, in English)
CODES: dict[int, tuple[Kind, str, str]] = {
    0: (Kind.APPROVED, "Одобрено", "Approved"),
    99: (Kind.NO_LINK, "нет связи с пинпадом", "no contact with the pin pad"),
    403: (Kind.DECLINED, "неверный ПИН", "wrong PIN"),
    405: (Kind.DECLINED, "ПИН заблокирован", "PIN blocked"),
    521: (Kind.DECLINED, "на карте недостаточно средств", "not enough funds on the card"),
    2000: (Kind.DECLINED, "операция прервана клавишей ОТМЕНА (или на терминале нет "
           "сеансовых ключей)", "cancelled at the pin pad (or no session keys)"),
    2002: (Kind.DECLINED, "клиент слишком долго вводит ПИН", "PIN entry timed out"),
    4100: (Kind.NO_LINK, "нет связи с банком при удалённой загрузке",
           "no link to the bank for remote loading"),
    4117: (Kind.DECLINED, "клиент отказался от ввода ПИНа", "the client refused to enter a PIN"),
    4119: (Kind.NO_LINK, "нет связи с банком", "no link to the bank"),
    4123: (Kind.PERMANENT, "на терминале нет сеансовых ключей: нужна сверка итогов",
           "no session keys on the terminal: reconcile first"),
    4130: (Kind.PERMANENT, "память терминала заполнена: нужна сверка итогов",
           "terminal memory full: reconcile"),
    4132: (Kind.DECLINED, "операция отклонена картой", "declined by the card"),
    4134: (Kind.PERMANENT, "слишком долго не было сверки итогов", "no reconciliation for too long"),
    4140: (Kind.PERMANENT, "сумма или код авторизации не совпадают с последней операцией",
           "amount or auth code differ from the last transaction"),
    4141: (Kind.PERMANENT, "операцию уже нельзя отменить",
           "the transaction can no longer be undone"),
    4300: (Kind.PERMANENT, "sb_pilot запущен не со всеми параметрами",
           "sb_pilot was started without all its parameters"),
    4301: (Kind.PERMANENT, "недопустимый тип операции", "operation type not allowed"),
    4334: (Kind.DECLINED, "карта не считана", "the card was not read"),
}
HOST_BASE = 4400  # 44xx: the bank's host answered with response code xx


def classify(code: int) -> tuple[Kind, str, str]:
    """What to do with ``code``: a decline for 44xx and for codes we do not know (any code
    but 0 means not approved; a decline is recorded and a new attempt takes a new key)."""
    if code in CODES:
        return CODES[code]
    if HOST_BASE < code < HOST_BASE + 100:
        xx = code - HOST_BASE
        return (Kind.DECLINED, f"банк отказал (код ответа {xx:02d})",
                f"the bank declined (response code {xx:02d})")
    return Kind.DECLINED, f"терминал отказал (код {code})", f"the terminal refused (code {code})"


# CType of auth_answer (PinPad.Pilot_nt.pas: CT_*); MIR has no code in the sources
CARD_TYPES = {1: "VISA", 2: "MC", 3: "MAESTRO", 4: "AMEX", 5: "DINERS", 6: "VISA ELECTRON",
              7: "PRO100", 9: "SBERCARD"}
