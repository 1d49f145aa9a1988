"""Small helpers for the words the program shows, shared by the window, the CLI and
the project layer (which must not import the report)."""

from __future__ import annotations


def count(n: int, noun: str) -> str:
    """ "1 column", "3 columns", "1,200 rows": a number with its noun in the right form."""
    return f"{n:,} {noun if n == 1 else noun + 's'}"
