"""Whole numbers from outside: typed by a person or forged into a button's data."""

from __future__ import annotations

# The largest id a row can have: ids are 32-bit INTEGER columns on PostgreSQL. A number from
# a button or a command beyond it names nothing, and would make the database driver raise.
MAX_ROW_ID = 2**31 - 1


def parse_int(text: str, maximum: int = MAX_ROW_ID, minimum: int = 0) -> int | None:
    """A whole number a person typed (or forged into a button), or None if it is not one
    within bounds. Decimal digits only, the characters int() accepts: str.isdigit() also
    passes "²", on which int() raises. At most 19 of them: int() refuses past 4300 digits."""
    digits = text[1:] if text.startswith("-") else text
    if not digits.isdecimal() or len(digits) > 19:
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None
