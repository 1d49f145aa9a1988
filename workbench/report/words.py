"""Numbers and phrases as a person reads them.

Each number shown in the person's part of the report is a small dict
``{"text", "src", "absolute"}``: the text printed, where it came from in the
explanation record (a dotted path such as ``attributions.mom_iq.value``) and
whether the sign was dropped ("lowered by 4.2"). The template prints the text
and keeps the source as an attribute, so a test can check every printed number
against the record.

Decimals follow the uncertainty: an interval 57–116 wide is printed without
decimals, one 6.9–9.3 wide with one, so that no digit claims more precision
than the interval allows.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

MINUS = "\u2212"
MAX_DECIMALS = 6


def decimals_for(width: float, *values: float) -> int:
    """Decimals that show the interval's width with two significant digits; for an
    exact value (no width), three significant digits of the largest value."""
    if math.isfinite(width) and width > 0:
        return int(min(MAX_DECIMALS, max(0, 1 - math.floor(math.log10(width)))))
    biggest = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if biggest == 0:
        return 0
    return int(min(MAX_DECIMALS, max(0, 2 - math.floor(math.log10(biggest)))))


def fmt(value: float, decimals: int) -> str:
    """Thousands separators, a true minus sign, and no "-0"."""
    if not math.isfinite(value):
        return "not available"
    text = f"{value:,.{decimals}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")
    return text.replace("-", MINUS)


def fmt_plain(value: float) -> str:
    """A data value as stored: four significant digits, and always one decimal of a
    number with a fraction (121.1, 1, 42,000, 1,958.2 — not 1,958 for 1958.21)."""
    if not math.isfinite(value):
        return "missing"
    if float(value).is_integer():
        return fmt(value, 0)
    if abs(value) >= 1000:
        return fmt(value, 1).rstrip("0").rstrip(".")
    return f"{value:.4g}".replace("-", MINUS)


def num(value: float, src: str, decimals: int, absolute: bool = False) -> dict[str, Any]:
    shown = abs(value) if absolute else value
    return {"text": fmt(shown, decimals), "src": src, "absolute": absolute}


def data_num(value: float, src: str) -> dict[str, Any]:
    return {"text": fmt_plain(value), "src": src, "absolute": False}


def percent(p: float) -> str:
    """A share as a percentage that does not round to something untrue: a level of
    0.975 is "97.5%", not "98%", and a probability short of certainty is never "100%"
    ("over 99%"), one above zero never "0%" ("under 1%")."""
    share = 100 * p
    for decimals in (0, 1, 2):
        text = f"{share:.{decimals}f}"
        if abs(float(text) - share) < 1e-9:  # exact at this many decimals
            return f"{text}%"
    if share > 99:
        return "over 99%"
    if share < 1:
        return "under 1%"
    return f"{share:.0f}%" if share >= 10 else f"{share:.1f}%"


def parse_number(text: str) -> float:
    """The inverse of fmt (and of percent, but for its "over"/"under" bounds), for
    checks and tests."""
    return float(text.replace(MINUS, "-").replace(",", "").rstrip("%"))


def long_date(iso: str) -> str:
    """'2026-11-25T16:44:10+00:00' -> '25 November 2026'."""
    day = datetime.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def long_time(iso: str) -> str:
    """'2026-11-25T16:44:10+00:00' -> '25 November 2026, 16:44 UTC'."""
    moment = datetime.fromisoformat(iso)
    zone = moment.tzname() or ""
    return f"{long_date(iso)}, {moment:%H:%M} {'UTC' if zone in ('UTC', 'UTC+00:00') else zone}"


def join_words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
