"""FFD 1.2 code tables (54-FZ): the values a receipt's tags take, with their official codes.

Every enum's value is the code the fiscal drive stores (``int(x)`` is what goes on the wire),
except ``VatRate`` and ``PaymentKind``, whose values are stable names (the FFD codes are their
``code`` / ``tag``). Sources: FFD annex 2 of FNS order ЕД-7-20/662@ (tables 8, 9, 24, 25) and
its amendments for 5/7 % (2025) and 22 % (2026, order ЕД-7-20/1050@); see
``../shared/protocols/fiscal.md`` §1.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, IntFlag, StrEnum

from attrs import frozen


class Operation(IntEnum):
    """1054 признак расчёта."""

    SELL = 1  # приход
    SELL_REFUND = 2  # возврат прихода
    BUY = 3  # расход
    BUY_REFUND = 4  # возврат расхода

    @property
    def refund(self) -> bool:
        return self in (Operation.SELL_REFUND, Operation.BUY_REFUND)


class TaxSystem(IntFlag):
    """1055 применяемая СНО: a receipt carries exactly one bit (1062 at registration may
    carry several, hence a flag)."""

    OSN = 1  # общая
    USN_INCOME = 2  # упрощённая, доход
    USN_INCOME_OUTCOME = 4  # упрощённая, доход минус расход
    ENVD = 8  # ЕНВД (abolished 2021; old registrations still report it)
    ESHN = 16  # единый сельскохозяйственный налог
    PATENT = 32  # патентная


class SettlementMethod(IntEnum):
    """1214 признак способа расчёта."""

    FULL_PREPAYMENT = 1  # предоплата 100 %
    PREPAYMENT = 2  # предоплата
    ADVANCE = 3  # аванс
    FULL_PAYMENT = 4  # полный расчёт
    PARTIAL_PAYMENT = 5  # частичный расчёт и кредит
    CREDIT = 6  # передача в кредит
    CREDIT_PAYMENT = 7  # оплата кредита


class PaymentObject(IntEnum):
    """1212 признак предмета расчёта (FFD 1.2 meanings; 28 and 29 are not assigned)."""

    COMMODITY = 1  # товар
    EXCISE = 2  # подакцизный товар
    JOB = 3  # работа
    SERVICE = 4  # услуга
    GAMBLING_BET = 5
    GAMBLING_PRIZE = 6
    LOTTERY = 7
    LOTTERY_PRIZE = 8
    INTELLECTUAL_ACTIVITY = 9  # предоставление РИД
    PAYMENT = 10  # платёж
    AGENT_COMMISSION = 11  # агентское вознаграждение
    PAYOUT = 12  # выплата
    ANOTHER = 13  # иной предмет расчёта
    PROPRIETARY_LAW = 14  # имущественное право
    NON_OPERATING_INCOME = 15  # внереализационный доход
    INSURANCE_CONTRIBUTIONS = 16  # иные платежи и взносы
    MERCHANT_TAX = 17  # торговый сбор
    RESORT_FEE = 18  # курортный сбор
    DEPOSIT = 19  # залог
    CONSUMPTION = 20  # расход
    SOLE_PROPRIETOR_CPI_CONTRIBUTIONS = 21  # взносы на ОПС ИП
    CPI_CONTRIBUTIONS = 22  # взносы на ОПС
    SOLE_PROPRIETOR_CMI_CONTRIBUTIONS = 23  # взносы на ОМС ИП
    CMI_CONTRIBUTIONS = 24  # взносы на ОМС
    CSI_CONTRIBUTIONS = 25  # взносы на ОСС
    CASINO_PAYMENT = 26  # платёж казино
    FUNDS_ISSUANCE = 27  # выдача денежных средств
    EXCISE_WITHOUT_MARKING = 30  # АТНМ
    EXCISE_WITH_MARKING = 31  # АТМ
    COMMODITY_WITHOUT_MARKING = 32  # ТНМ
    COMMODITY_WITH_MARKING = 33  # ТМ

    @property
    def marked(self) -> bool:
        """Goods sold with a marking code (2000): the only objects that may carry one."""
        return self in (PaymentObject.EXCISE_WITH_MARKING, PaymentObject.COMMODITY_WITH_MARKING)


class Measure(IntEnum):
    """2108 мера количества предмета расчёта."""

    PIECE = 0
    GRAM = 10
    KILOGRAM = 11
    TON = 12
    CENTIMETER = 20
    DECIMETER = 21
    METER = 22
    SQUARE_CENTIMETER = 30
    SQUARE_DECIMETER = 31
    SQUARE_METER = 32
    MILLILITER = 40
    LITER = 41
    CUBIC_METER = 42
    KILOWATT_HOUR = 50
    GIGACALORIE = 51
    DAY = 70
    HOUR = 71
    MINUTE = 72
    SECOND = 73
    KILOBYTE = 80
    MEGABYTE = 81
    GIGABYTE = 82
    TERABYTE = 83
    OTHER = 255


class CorrectionType(IntEnum):
    """1173 тип коррекции."""

    SELF = 0  # самостоятельно
    INSTRUCTION = 1  # по предписанию налогового органа


class PlannedStatus(IntEnum):
    """2003 планируемый статус товара (what a marking-code check asks the FN to confirm)."""

    PIECE_SOLD = 1
    MEASURED_SOLD = 2
    PIECE_RETURNED = 3
    MEASURED_RETURNED = 4
    UNCHANGED = 255


class PaymentKind(StrEnum):
    """How a receipt is paid; ``tag`` is the FFD sum it adds to."""

    CASH = "cash"  # 1031 наличными
    ELECTRONIC = "electronic"  # 1081 безналичными
    PREPAID = "prepaid"  # 1215 предоплатой (зачёт аванса)
    CREDIT = "credit"  # 1216 постоплатой (в кредит)
    COUNTER_PROVISION = "counter_provision"  # 1217 встречным предоставлением

    @property
    def tag(self) -> int:
        return _PAYMENT_TAGS[self]


_PAYMENT_TAGS = {PaymentKind.CASH: 1031, PaymentKind.ELECTRONIC: 1081, PaymentKind.PREPAID: 1215,
                 PaymentKind.CREDIT: 1216, PaymentKind.COUNTER_PROVISION: 1217}


@frozen
class _Rate:
    code: int  # 1199
    percent: int
    computed: bool  # x/1xx: the rate applied to a total that includes the tax (advances)
    valid_from: date | None
    valid_until: date | None  # inclusive


class VatRate(StrEnum):
    """1199 ставка НДС. Values are ATOL's names; ``code`` is the FFD code.

    Validity: 20 % and 20/120 end on 2025-12-31 (Federal Law 425-FZ); 22 % and 22/122 start on
    2026-01-01; 5 %, 7 %, 5/105 and 7/107 (USN payers) start on 2025-01-01. A refund or a
    correction takes the rate of the settlement it refers to, not of its own date."""

    VAT22 = "vat22"
    VAT22_122 = "vat122"
    VAT20 = "vat20"
    VAT20_120 = "vat120"
    VAT10 = "vat10"
    VAT10_110 = "vat110"
    VAT7 = "vat7"
    VAT7_107 = "vat107"
    VAT5 = "vat5"
    VAT5_105 = "vat105"
    VAT0 = "vat0"
    NONE = "none"

    @property
    def code(self) -> int:
        return _RATES[self].code

    @property
    def atol(self) -> str:
        """The name ATOL's driver v10 and ATOL Online v5 use."""
        return self.value

    @property
    def label(self) -> str:
        """As a receipt prints it: ``22%``, ``22/122``, ``0%``; ``none`` without VAT."""
        if self is VatRate.NONE:
            return "none"
        r = _RATES[self]
        return f"{r.percent}/{100 + r.percent}" if r.computed else f"{r.percent}%"

    @property
    def percent(self) -> int:
        return _RATES[self].percent

    @property
    def valid_from(self) -> date | None:
        return _RATES[self].valid_from

    @property
    def valid_until(self) -> date | None:
        return _RATES[self].valid_until

    def valid_on(self, day: date) -> bool:
        r = _RATES[self]
        return ((r.valid_from is None or day >= r.valid_from)
                and (r.valid_until is None or day <= r.valid_until))

    def vat_amount(self, total: int) -> int:
        """The tax inside ``total`` kopecks (prices include VAT): total x p / (100 + p),
        rounded half up to the kopeck (tag 1200 of a line)."""
        p = _RATES[self].percent
        if p == 0:
            return 0
        return int((Decimal(total) * p / (100 + p)).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @classmethod
    def from_code(cls, code: int) -> VatRate:
        for rate, info in _RATES.items():
            if info.code == code:
                return rate
        raise ValueError(f"no VAT rate has FFD code {code}")


_2025 = date(2025, 1, 1)
_2026 = date(2026, 1, 1)
_END_2025 = date(2025, 12, 31)
_RATES: dict[VatRate, _Rate] = {
    VatRate.VAT20: _Rate(1, 20, False, None, _END_2025),
    VatRate.VAT10: _Rate(2, 10, False, None, None),
    VatRate.VAT20_120: _Rate(3, 20, True, None, _END_2025),
    VatRate.VAT10_110: _Rate(4, 10, True, None, None),
    VatRate.VAT0: _Rate(5, 0, False, None, None),
    VatRate.NONE: _Rate(6, 0, False, None, None),
    VatRate.VAT5: _Rate(7, 5, False, _2025, None),
    VatRate.VAT7: _Rate(8, 7, False, _2025, None),
    VatRate.VAT5_105: _Rate(9, 5, True, _2025, None),
    VatRate.VAT7_107: _Rate(10, 7, True, _2025, None),
    VatRate.VAT22: _Rate(11, 22, False, _2026, None),
    VatRate.VAT22_122: _Rate(12, 22, True, _2026, None),
}

__all__ = [
    "CorrectionType",
    "Measure",
    "Operation",
    "PaymentKind",
    "PaymentObject",
    "PlannedStatus",
    "SettlementMethod",
    "TaxSystem",
    "VatRate",
]
