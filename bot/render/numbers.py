"""Display rounding, only at the edge: two decimals, half up, as the Secretary of State prints."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def percent(share: Fraction, places: int = 2) -> str:
    """Fraction 0–1 → '49.92' (no sign). Exact until this one rounding."""
    value = Decimal(share.numerator * 100) / Decimal(share.denominator) if share.denominator else Decimal(0)
    quantum = Decimal(1).scaleb(-places)
    return str(value.quantize(quantum, rounding=ROUND_HALF_UP))


def votes(n: int) -> str:
    return f"{n:,}"


def signed(n: int) -> str:
    return f"+{n:,}" if n >= 0 else f"−{abs(n):,}"


def points(share: Fraction) -> str:
    """A margin as points of the office total: 20,715 of 1,344,367 → '1.54'."""
    return percent(share)
