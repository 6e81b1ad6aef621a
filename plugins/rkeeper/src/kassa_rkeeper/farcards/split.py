"""How a check's payments spread over its lines: each payer (a card's payment, then cash for
the rest) gets a share of every line in proportion, in whole kopecks, with both sums exact:
every payer's shares add up to what it paid, every line's shares to the line's amount.

Floors of the proportional shares first; the kopecks the floors left (fewer than payers plus
lines) are then placed on cells whose payer and line both still miss some, largest fractional
remainders first, so no kopeck is lost or invented and no share is negative.
"""

from __future__ import annotations

from collections.abc import Sequence

from kassa_rkeeper.farcards.limits import Refused


def split(lines: Sequence[int], payments: Sequence[int]) -> list[list[int]]:
    """``shares[j][i]``: what payer ``j`` pays of line ``i``. ``payments`` are the cards';
    if they add up to less than the lines, a last payer (cash) takes the rest. Refused when
    the cards pay more than the check or an amount is negative."""
    if any(x < 0 for x in lines) or any(p < 0 for p in payments):
        raise Refused("a line or a payment is negative")
    total, paid = sum(lines), sum(payments)
    if paid > total:
        raise Refused(f"the cards pay {paid / 100:.2f}, more than the check's "
                      f"{total / 100:.2f}")
    payers = [*payments, total - paid] if paid < total else list(payments)
    if total == 0:
        return [[0] * len(lines) for _ in payers]
    shares = [[p * x // total for x in lines] for p in payers]
    row_left = [p - sum(r) for p, r in zip(payers, shares, strict=True)]
    col_left = [x - sum(shares[j][i] for j in range(len(payers))) for i, x in enumerate(lines)]
    cells = sorted(((p * x % total, j, i) for j, p in enumerate(payers)
                    for i, x in enumerate(lines)), reverse=True)
    for _, j, i in cells:
        if row_left[j] and col_left[i]:
            give = min(row_left[j], col_left[i])
            shares[j][i] += give
            row_left[j] -= give
            col_left[i] -= give
    return shares
