"""The order of clause numbers and requirement refs. Free of pydantic: views that sort the index's figures by
clause load no record type."""


def number_key(number: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for clause numbers and refs: 9.2 before 10.1, 4.2.a before 4.2.b, numbers before letters."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in number.split("."))
