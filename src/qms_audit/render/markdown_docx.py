"""The small Markdown of SOP templates (headings, paragraphs, lists, **bold**, pipe tables) as a Word file.

Pipe tables carry a little layout. When the dashes of a table's separator line differ in number
(`|---|----------|------|`), the columns share the page in those proportions (as in Pandoc); otherwise they
share it by how much text each holds. Tables written alike (the same header and separator lines, such as the
step tables of an SOP's Plan, Do, Check and Act) get the same column widths, wide enough for the words of all
of them, so that they line up down the pages. A table with a "Signature" column (or its name in Indonesian or
Malay, "Tanda tangan", "Tandatangan") is a sign-off block: its rows are tall enough to sign in. The words the
file adds itself (the footer's "Page N of M") are in the reader's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qms_audit.infra import i18n
from qms_audit.infra.i18n import _
from qms_audit.infra.locations import Workspace
from qms_audit.render.docxwriter import DocxWriter, Run, column_minimum_cm, fit_widths

_ESCAPED = re.compile(r"\\([\\`*_{}\[\]<>#|])")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s+(.*)$")
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}")
SIGNING_ROW_CM = 1.2  # room for a handwritten signature
# the heading of a sign-off block's signature column, in every language a template is written in
SIGNATURE_HEADINGS = frozenset({"signature", "tanda tangan", "tandatangan", "tanda-tangan"})


def is_signature_heading(text: str) -> bool:
    """A column heading that asks for signatures, in any of the languages (the catalogues' word included)."""
    word = " ".join(text.lower().split())
    return word in SIGNATURE_HEADINGS or word == _("Signature").lower()


def _unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text)


def inline(text: str) -> list[Run]:
    """**bold** spans become bold runs; backslash escapes are removed."""
    runs: list[Run] = []
    last = 0
    # protect escaped asterisks from the bold pattern
    protected = text.replace("\\*", "\x00")
    for match in _BOLD.finditer(protected):
        if match.start() > last:
            runs.append((_unescape(protected[last:match.start()].replace("\x00", "\\*")), ""))
        runs.append((_unescape(match.group(1).replace("\x00", "\\*")), "b"))
        last = match.end()
    if last < len(protected):
        runs.append((_unescape(protected[last:].replace("\x00", "\\*")), ""))
    return runs or [("", "")]


def _cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells, current, escaped = [], "", False
    for ch in body:
        if escaped:
            current += "\\" + ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += ch
    cells.append(current.strip())
    return cells


def column_shares(separator: str) -> list[float] | None:
    """The columns' shares of the page from a separator line's dashes, or None when they are all alike."""
    counts = [cell.count("-") for cell in _cells(separator)]
    return [float(c) for c in counts] if len(set(counts)) > 1 else None


def _list_item(line: str) -> tuple[str, str | None] | None:
    """A list line as (its text, its Word style), or None for any other line: a numbered item keeps the number
    it was typed with, so it needs no numbering style."""
    bullet = _BULLET.match(line)
    if bullet:
        return bullet.group(1), "List Bullet"
    numbered = _NUMBERED.match(line)
    if numbered:
        return f"{numbered.group(1)}. {numbered.group(2)}", None
    return None


@dataclass
class PipeTable:
    headers: list[str]
    rows: list[list[str]]
    shares: list[float] | None  # from the separator's dashes
    key: tuple[str, str]  # header and separator lines as written: tables written alike share their widths
    end: int  # the index of the line after the table


def _pipe_tables(lines: list[str]) -> dict[int, PipeTable]:
    """Every pipe table of the text, by the index of its header line."""
    tables: dict[int, PipeTable] = {}
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not (stripped.startswith("|") and i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1])):
            i += 1
            continue
        start = i
        headers = [_unescape(_BOLD.sub(r"\1", c)) for c in _cells(stripped)]
        shares = column_shares(lines[i + 1])
        rows = []
        i += 2
        while i < len(lines) and lines[i].strip().startswith("|"):
            cells = [_unescape(_BOLD.sub(r"\1", c)) for c in _cells(lines[i])]
            rows.append((cells + [""] * len(headers))[: len(headers)])
            i += 1
        tables[start] = PipeTable(headers, rows, shares if shares and len(shares) == len(headers) else None,
                                  (stripped, lines[start + 1].strip()), i)
    return tables


def _shared_widths(w: DocxWriter, tables: list[PipeTable], font_pt: float = 9.0) -> list[float]:
    """One set of column widths for tables written alike: at least the widest word of each column in any of
    them, shared across the page as the first one asks."""
    headers = tables[0].headers
    rows = [row for table in tables for row in table.rows]
    minimums = [column_minimum_cm(h, [r[i] for r in rows], font_pt) for i, h in enumerate(headers)]
    shares = tables[0].shares or w.auto_widths(headers, rows)
    return fit_widths(shares, minimums, w.usable_width_cm())


def render_markdown(w: DocxWriter, markdown: str) -> None:
    lines = markdown.splitlines()
    tables = _pipe_tables(lines)
    alike: dict[tuple[str, str], list[PipeTable]] = {}
    for table in tables.values():
        alike.setdefault(table.key, []).append(table)
    widths = {key: _shared_widths(w, group) for key, group in alike.items() if len(group) > 1}
    # the index of the next line with text, from each line on (one pass: a text may hold many blank lines)
    next_text = [len(lines)] * (len(lines) + 1)
    for j in range(len(lines) - 1, -1, -1):
        next_text[j] = j if lines[j].strip() else next_text[j + 1]
    i = 0
    paragraph: list[str] = []

    def flush_paragraph(*, keep_next: bool = False) -> None:
        if paragraph:
            w.runs(inline(" ".join(paragraph)), keep_next=keep_next)
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            # a paragraph that introduces a table (its legend, say) stays on the table's page
            flush_paragraph(keep_next=next_text[i] in tables)
            i += 1
            continue
        heading = _HEADING.match(stripped)
        if heading:
            flush_paragraph()
            level = len(heading.group(1))
            text = _unescape(_BOLD.sub(r"\1", heading.group(2)))
            if level == 1:
                w.paragraph(text, style="Title")
            else:
                w.heading(text, level - 1)
            i += 1
            continue
        if i in tables:
            flush_paragraph(keep_next=True)
            table = tables[i]
            signing = any(is_signature_heading(h) for h in table.headers)
            w.table(table.headers, table.rows, widths=widths.get(table.key, table.shares),
                    row_height_cm=SIGNING_ROW_CM if signing else None)
            i = table.end
            continue
        item = _list_item(line)
        if item is not None:
            flush_paragraph()
            text, style = item
            w.runs(inline(text), style=style)
            i += 1
            continue
        paragraph.append(stripped)
        i += 1
    flush_paragraph()


def markdown_to_docx_bytes(markdown: str, *, workspace: Workspace | None = None, footer: str = "",
                           paper: str = "A4") -> bytes:
    """The Word file on `paper` (A4 or Letter; an institution template keeps its own page set-up); `footer` is
    the reference printed left of the page number on every page."""
    template = None
    if workspace is not None and workspace.report_template_path.exists():
        from qms_audit.infra.office import check_office_file

        check_office_file(workspace.report_template_path, what="report template")
        template = workspace.report_template_path
    w = DocxWriter(template, paper=paper)
    render_markdown(w, markdown)
    w.page_numbers(footer)
    _page_words(w)
    return w.save_bytes()


def _page_words(w: DocxWriter) -> None:
    """The footer's "Page N of M" in the reader's language: the words around the two page fields are put in
    from one message, so a language may order them as it needs ("Halaman 1 dari 3")."""
    if i18n.current_language() == i18n.ENGLISH:
        return
    # the fields stand where the message has {page} and {pages}; nothing follows the last one
    before, _field, rest = _("Page {page} of {pages}").partition("{page}")
    between = rest.partition("{pages}")[0]
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for section in w.doc.sections:
        for t in section.footer._element.iter(f"{ns}t"):
            if t.text == "Page ":
                t.text = before
            elif t.text == " of ":
                t.text = between

