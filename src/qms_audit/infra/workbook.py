"""A workbook received from someone else, read as plain rows of text.

The file passes every check of `qms_audit.infra.office` (size, encryption, zip bombs, DTDs) before openpyxl
parses it, and openpyxl parses with defusedxml (a dependency). Reading a received file safely is
infrastructure, like those checks; writing Word and Excel documents belongs to `qms_audit.render`. This is the
one module outside `render` that imports openpyxl, and the import contracts in pyproject.toml name it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

from qms_audit.infra.errors import InvalidFile
from qms_audit.infra.files import display_path
from qms_audit.infra.office import MAX_OFFICE_BYTES, check_office_file, check_sheet_rows


def cell_text(value: object) -> str:
    """A cell's value as text: a blank cell is '', a date is ISO 8601 (openpyxl reads a date cell as a date and
    time, so it comes as YYYY-MM-DDT00:00:00, which the date parsers accept)."""
    if value is None:
        return ""
    if isinstance(value, dt.date):  # a datetime is a date too
        return value.isoformat()
    return str(value)


def workbook_rows(path: Path, *, what: str, sheet: str | None = None, max_bytes: int = MAX_OFFICE_BYTES,
                  max_rows: int | None = None) -> Iterator[list[str]]:
    """The rows of the sheet named `sheet` (the first sheet when the workbook has none of that name), each as a
    list of cell texts. Rows are read one at a time, so a caller that stops early (a row limit) never has the
    whole sheet in memory. A file that fails a check or cannot be parsed raises InvalidFile."""
    from openpyxl import load_workbook

    shown = display_path(path)
    data = check_office_file(path, what=what, max_bytes=max_bytes)
    if max_rows is not None:
        check_sheet_rows(data, shown=shown, max_rows=max_rows)
    try:
        # formulas as formulas, not their cached results: a workbook written by a script has none, and a result
        # is not something anyone typed; a formula is refused by its cell below
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ValueError, zip and XML errors) on bad input
        raise InvalidFile(f"{shown}: not a readable workbook ({type(exc).__name__})") from None
    try:
        # Chart sheets have no rows: only worksheets are candidates
        named = [w for w in wb.worksheets if w.title == sheet]
        if not named and not wb.worksheets:
            raise InvalidFile(f"{shown}: the workbook has no worksheet")
        ws = named[0] if named else wb.worksheets[0]
        # In read-only mode a sheet's XML is parsed while its rows are read, so a broken sheet shows up here
        try:
            for cells in ws.iter_rows():
                formula = next((c for c in cells if getattr(c, "data_type", None) == "f"), None)
                if formula is not None:
                    raise InvalidFile(f"{shown}: cell {ws.title}!{formula.coordinate} holds a formula; the workbook "
                                      "is read as typed values only (copy the cells and paste them as values)")
                yield [cell_text(getattr(c, "value", None)) for c in cells]
        except InvalidFile:
            raise
        except Exception as exc:  # the same variety of parse errors as loading, met later
            # named by its kind only, like a load error: the library's message may quote the file's own text
            raise InvalidFile(f"{shown}: a sheet of the workbook cannot be read ({type(exc).__name__})") from None
    finally:
        wb.close()
