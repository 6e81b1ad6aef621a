"""The rights table: what each role may do alone, what a manager's card or PIN allows, the
void_needs_manager flag, manual discount limits, and the sentences a denial shows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kassa_pos.engine.rights import (
    DEFAULT_RIGHTS,
    AccessDenied,
    Person,
    Right,
    Rights,
    Role,
)
from kassa_pos.settings import PosSettings, StaffSettings

CASHIER = Person("1", "Анна", Role.CASHIER)
SENIOR = Person("2", "Борис", Role.SENIOR_CASHIER)
MANAGER = Person("9", "Олег", Role.MANAGER)
ALONE = {
    # right: (cashier, senior cashier, manager) may do it without a confirmation
    Right.SELL: (True, True, True),
    Right.DEFER: (True, True, True),
    Right.OPEN_SHIFT: (True, True, True),
    Right.CLOSE_SHIFT: (True, True, True),
    Right.CASH_IN: (True, True, True),
    Right.X_REPORT: (True, True, True),
    Right.ISSUE_CARD: (True, True, True),
    Right.VOID_LINE: (False, False, True),  # senior holds it, but voids need a manager
    Right.VOID_CHECK: (False, False, True),
    Right.MANUAL_DISCOUNT: (False, True, True),
    Right.RETURN: (False, True, True),
    Right.CASH_OUT: (False, True, True),
    Right.OPEN_DRAWER: (False, True, True),
    Right.OVERRIDE_PRICE: (False, False, True),
    Right.BLOCK_CARD: (False, False, True),
    Right.CONFIRM: (False, False, True),
}


def test_the_table_names_every_right() -> None:
    assert set(ALONE) == set(Right)


@pytest.mark.parametrize("right", list(Right))
@pytest.mark.parametrize("who", [CASHIER, SENIOR, MANAGER], ids=lambda p: p.role.value)
def test_default_table(right: Right, who: Person) -> None:
    rights = Rights()
    expected = ALONE[right][[CASHIER, SENIOR, MANAGER].index(who)]
    if expected:
        assert rights.authorize(who, right) is None
    else:
        with pytest.raises(AccessDenied) as err:
            rights.authorize(who, right)
        assert err.value.right is right and err.value.actor is who
        if right is not Right.CONFIRM:  # a manager's confirmation allows it
            assert rights.authorize(who, right, MANAGER) is MANAGER


def test_only_someone_who_may_confirm_and_do_it_confirms() -> None:
    rights = Rights()
    with pytest.raises(AccessDenied, match="Борис не может подтвердить"):
        rights.authorize(CASHIER, Right.VOID_LINE, SENIOR)
    promoted = Person("1", "Анна", Role.MANAGER)  # the same code: nobody confirms for oneself
    with pytest.raises(AccessDenied):
        rights.authorize(CASHIER, Right.VOID_LINE, promoted)
    custom = Rights({Role.MANAGER: [Right.CONFIRM, Right.SELL]})
    with pytest.raises(AccessDenied):  # this manager may confirm, but not void
        custom.authorize(CASHIER, Right.VOID_LINE, MANAGER)


def test_void_needs_manager_flag() -> None:
    relaxed = Rights(void_needs_manager=False)
    assert relaxed.authorize(SENIOR, Right.VOID_LINE) is None
    with pytest.raises(AccessDenied, match=r"^Кассир не может сторнировать"):
        relaxed.authorize(CASHIER, Right.VOID_LINE)
    strict = Rights()
    with pytest.raises(AccessDenied, match=r"^Чтобы сторнировать позиции, нужно подтверждение"):
        strict.authorize(SENIOR, Right.VOID_LINE)


def test_discount_limits() -> None:
    rights = Rights()
    assert rights.authorize_discount(SENIOR, Decimal(10)) is None
    with pytest.raises(AccessDenied, match="больше 10%") as err:
        rights.authorize_discount(SENIOR, Decimal("10.01"))
    assert err.value.limit == Decimal(10)
    assert rights.authorize_discount(SENIOR, Decimal(50), MANAGER) is MANAGER
    assert rights.authorize_discount(CASHIER, Decimal(3), MANAGER) is MANAGER
    assert rights.authorize_discount(MANAGER, Decimal(100)) is None


def test_settings_make_the_table_and_identify_staff() -> None:
    s = PosSettings(staff=[StaffSettings(code="1", name="Анна"),
                           StaffSettings(code="9", name="Олег", role="manager",
                                         card="2000000000099", pin="4821")],
                    rights={"cashier": ["sell", "void_line"]}, void_needs_manager=False,
                    manual_discount_limit={"manager": "30"})  # type: ignore[dict-item]
    rights = Rights.from_settings(s)
    assert rights.allows(Role.CASHIER, Right.VOID_LINE)
    assert not rights.allows(Role.CASHIER, Right.DEFER)  # the role's set was replaced
    assert rights.authorize(CASHIER, Right.VOID_LINE) is None
    assert rights.discount_limit(Role.MANAGER) == Decimal(30)
    oleg = rights.identify("2000000000099")
    assert oleg is not None and oleg.role is Role.MANAGER
    assert rights.identify("4821") == oleg
    assert rights.identify("4822") is None and rights.identify("") is None
    assert rights.person("1") == Person("1", "Анна", Role.CASHIER)


def test_bad_settings_are_one_sentence_without_the_pin() -> None:
    with pytest.raises(ValueError, match="unknown right 'fly'"):
        PosSettings(rights={"cashier": ["fly"]})
    with pytest.raises(ValueError, match="unknown role"):
        PosSettings(rights={"boss": ["sell"]})
    with pytest.raises(ValueError, match="share one PIN") as err:
        PosSettings(staff=[StaffSettings(code="1", name="a", pin="1111"),
                           StaffSettings(code="2", name="b", pin="1111")])
    assert "1111" not in str(err.value)


def test_english_sentences() -> None:
    with pytest.raises(AccessDenied, match=r"^A cashier may not void lines"):
        Rights(locale="en", void_needs_manager=False).authorize(CASHIER, Right.VOID_LINE)


def test_defaults_are_documented_in_one_place() -> None:
    assert DEFAULT_RIGHTS[Role.MANAGER] == frozenset(Right)
    assert DEFAULT_RIGHTS[Role.CASHIER] < DEFAULT_RIGHTS[Role.SENIOR_CASHIER]
