"""A buyer's QR string checked as a consumer would (fiscal.md §1.3, §9): the FNS check says
whether a receipt with this FN, FD, FP, date and sum exists; when it says no and the merchant
account holds that FN + FD, the OFD's copy tells a wrong sum or a wrong date apart from a
receipt that does not exist."""

from __future__ import annotations

from datetime import timedelta, tzinfo
from enum import StrEnum

from attrs import frozen
from kassa.errors import UserError
from kassa.model import ReceiptQr

from kassa_ofd.client import OfdClient
from kassa_ofd.texts import say
from kassa_ofd.wire import OfdReceipt


class Outcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    WRONG_SUM = "wrong_sum"
    WRONG_DATE = "wrong_date"


@frozen(kw_only=True)
class CheckResult:
    outcome: Outcome
    message: str  # one sentence for people
    qr: ReceiptQr
    at_ofd: OfdReceipt | None = None  # the merchant's copy, when the account has it


def _money(kop: int) -> str:
    return f"{kop // 100}.{kop % 100:02d}"


async def check_qr(client: OfdClient, text: str, tz: tzinfo, *, locale: str = "ru"
                   ) -> CheckResult:
    """Raises ``ReceiptError`` for a malformed QR, ``RetryLater`` if the FNS is down."""
    qr = ReceiptQr.parse(text, tz)
    if await client.fns_check(qr):
        return CheckResult(outcome=Outcome.FOUND, message=say("check_found", locale), qr=qr)
    own: OfdReceipt | None = None
    if client.cfg.configured:
        try:  # the date may be wrong by days: look a month round it
            own = await client.find(qr.fn, qr.number, near=qr.at + timedelta(days=14),
                                    days=28)
        except UserError:  # the account has no register with this FN
            own = None
    if own is not None and own.total != qr.total:
        return CheckResult(outcome=Outcome.WRONG_SUM, qr=qr, at_ofd=own,
                           message=say("check_wrong_sum", locale, actual=_money(own.total),
                                       given=_money(qr.total)))
    if own is not None and own.issued_at.replace(second=0) != qr.at.replace(second=0):
        return CheckResult(outcome=Outcome.WRONG_DATE, qr=qr, at_ofd=own,
                           message=say("check_wrong_date", locale,
                                       actual=f"{own.issued_at:%d.%m.%Y %H:%M}",
                                       given=f"{qr.at:%d.%m.%Y %H:%M}"))
    return CheckResult(outcome=Outcome.NOT_FOUND, qr=qr, at_ofd=own,
                       message=say("check_not_found", locale))
