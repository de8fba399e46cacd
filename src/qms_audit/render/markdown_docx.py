"""The small Markdown of SOP templates (headings, paragraphs, lists, **bold**, pipe tables) as a Word file."""

from __future__ import annotations

import re

from qms_audit.infra.locations import Workspace
from qms_audit.render.docxwriter import DocxWriter, Run

_ESCAPED = re.compile(r"\\([\\`*_{}\[\]<>#|])")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s+(.*)$")


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


def render_markdown(w: DocxWriter, markdown: str) -> None:
    lines = markdown.splitlines()
    i = 0
    paragraph: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            w.runs(inline(" ".join(paragraph)))
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            flush_paragraph()
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
        if stripped.startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|?\s*:?-{3,}", lines[i + 1]):
            flush_paragraph()
            headers = [_unescape(_BOLD.sub(r"\1", c)) for c in _cells(stripped)]
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [_unescape(_BOLD.sub(r"\1", c)) for c in _cells(lines[i])]
                rows.append((cells + [""] * len(headers))[: len(headers)])
                i += 1
            w.table(headers, rows)
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


def markdown_to_docx_bytes(markdown: str, *, workspace: Workspace | None = None, title: str = "") -> bytes:
    template = None
    if workspace is not None and workspace.report_template_path.exists():
        from qms_audit.infra.office import check_office_file

        check_office_file(workspace.report_template_path, what="report template")
        template = workspace.report_template_path
    w = DocxWriter(template)
    render_markdown(w, markdown)
    w.page_numbers(title)
    return w.save_bytes()
