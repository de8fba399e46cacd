"""The shared worksheet writer: wrapped-line estimates, and a long table (whose rows past the first are written
as raw XML) keeps its dates as dates and its row heights."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from qms_audit.render.sheets import (
    FAST_FROM,
    MAX_ROW_POINTS,
    new_workbook,
    row_height,
    save,
    sheet_is_wide,
    table_sheet,
    text_lines,
)


def test_wrapped_lines_follow_the_words_and_the_line_breaks():
    assert text_lines("short", 20) == 1
    assert text_lines("one\ntwo\nthree", 20) == 3
    words = " ".join(["word"] * 40)  # 199 characters: at most 21 a line in a column 20 wide
    assert 9 <= text_lines(words, 20) <= 12
    assert text_lines("x" * 100, 10) >= 10  # a word longer than the column breaks across lines
    assert text_lines(words, 20, bold=True) >= text_lines(words, 20)


def test_a_row_height_covers_its_tallest_cell_and_stays_within_the_limit():
    assert row_height(["a", 3, dt.date(2026, 1, 1)], [10, 10, 10]) is None  # one line: the default height
    assert row_height(["a\nb\nc", "x"], [10, 10]) == 45
    assert row_height(["line\n" * 100], [10]) == MAX_ROW_POINTS


def test_landscape_for_columns_wider_than_a_portrait_page():
    assert not sheet_is_wide([14, 40, 20])
    assert sheet_is_wide([40, 40, 40])


def test_a_long_table_keeps_dates_and_heights_past_its_first_rows():
    rows = []
    for i in range(FAST_FROM + 50):
        due = dt.date(2026, 1, 1) + dt.timedelta(days=i)
        raised = dt.datetime(2025, 12, 1, 9, 30, tzinfo=dt.UTC) + dt.timedelta(hours=i)
        closed = None if i % 3 == 0 else raised + dt.timedelta(days=30)  # the first row's is empty
        rows.append([f"NC-{i:03d}", raised, due, closed, "long text " * (i % 7) or "short"])
    wb = new_workbook()
    table_sheet(wb, "Register", ["Finding", "Raised", "Due", "Closed", "Statement"], rows,
                widths=[12, 17, 12, 17, 20], table_name="Register")
    ws = load_workbook(io.BytesIO(save(wb)))["Register"]
    assert ws.max_row == len(rows) + 1
    for n, row in enumerate(ws.iter_rows(min_row=2), start=0):
        finding, raised, due, closed, statement = row
        assert raised.is_date and raised.value == rows[n][1].replace(tzinfo=None), raised.coordinate
        assert due.is_date and due.value == dt.datetime.combine(rows[n][2], dt.time()), due.coordinate
        if rows[n][3] is not None:  # a date cell even though the first row, whose styles the rest take, has none
            assert closed.is_date and closed.value == rows[n][3].replace(tzinfo=None), closed.coordinate
        assert raised.number_format == "yyyy-mm-dd hh:mm" and due.number_format == "yyyy-mm-dd"
        expected = row_height(rows[n], [12, 17, 12, 17, 20])
        assert ws.row_dimensions[finding.row].height == expected, finding.coordinate
        assert statement.alignment.wrap_text
