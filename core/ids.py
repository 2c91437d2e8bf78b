"""Database ids read from URLs and query strings, where anything can be typed."""

# PostgreSQL's bigint: a larger number is no row's id, and passing it on would be an error.
ID_LIMIT = 2**63 - 1


def id_or_none(value) -> int | None:
    """The positive id `value` spells in ASCII digits, or None for anything else ("²", "2/x",
    " 3", "-1", a 30-digit number): the caller answers 404 or ignores it, never a 500."""
    text = str(value if value is not None else "")
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 1 <= number <= ID_LIMIT else None
