"""Writing Word documents quickly: the body is built as WordprocessingML text and parsed once, on saving.

python-docx's object API (and `table.cell()` in particular, which is quadratic) is far too slow for a
report with a thousand findings, and so is moving thousands of parsed elements into its document one by one.
Here every paragraph, table and picture is emitted as text; on saving, the whole body is parsed in one go
and swapped in, while python-docx still manages the package, styles, images, headers and footers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qms_audit.infra.i18n import _
from qms_audit.render.textsafe import clean, escape_xml

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS_DECL = f'xmlns:w="{W_NS}"'

Run = tuple[str, str]  # (text, flags: any of "b", "i", "s" for small, "c" muted, "r" dark red)


@dataclass(frozen=True)
class Cell:
    """A table cell that stands out: shaded with `fill` (RGB hex) and written with run `flags`. Its words say
    what the colour says, so that a copy printed in grey still reads right."""

    text: str
    fill: str = ""
    flags: str = ""

    def __str__(self) -> str:
        return self.text


def esc(text: object) -> str:
    return escape_xml(clean(text))


_RPR: dict[str, str] = {}


def _rpr(flags: str) -> str:
    cached = _RPR.get(flags)
    if cached is None:
        props = ""
        if "b" in flags:
            props += "<w:b/>"
        if "i" in flags:
            props += "<w:i/>"
        # in the schema's order (colour before size): Word refuses a file whose run properties are out of order
        if "c" in flags:  # muted colour
            props += '<w:color w:val="595959"/>'
        elif "r" in flags:  # a warning (the DRAFT marking)
            props += '<w:color w:val="C00000"/>'
        if "s" in flags:
            props += '<w:sz w:val="18"/>'
        cached = _RPR[flags] = f"<w:rPr>{props}</w:rPr>" if props else ""
    return cached


def _run_xml(text: str, flags: str) -> str:
    """One run of text that is already clean; line breaks become <w:br/>."""
    if "\n" in text:
        body = "<w:br/>".join(f'<w:t xml:space="preserve">{escape_xml(p)}</w:t>' for p in text.split("\n"))
    else:
        body = f'<w:t xml:space="preserve">{escape_xml(text)}</w:t>'
    return f"<w:r>{_rpr(flags)}{body}</w:r>"


def _page_of_pages_xml() -> str:
    """'Page N of M' in the reader's words, N and M as the PAGE and NUMPAGES fields, in the order the words put
    them."""
    small = '<w:rPr><w:sz w:val="18"/></w:rPr>'
    fields = {"page": "PAGE", "pages": "NUMPAGES"}
    out = []
    for part in re.split(r"(\{page\}|\{pages\})", _("Page {page} of {pages}")):
        if part in ("{page}", "{pages}"):
            out.append(f'<w:fldSimple w:instr=" {fields[part[1:-1]]} "><w:r>{small}<w:t>1</w:t></w:r></w:fldSimple>')
        elif part:
            out.append(f'<w:r>{small}<w:t xml:space="preserve">{escape_xml(part)}</w:t></w:r>')
    return "".join(out)


def _runs_xml(runs: Sequence[Run]) -> str:
    return "".join(_run_xml(clean(text), flags) for text, flags in runs)


TOC_RPR = '<w:rPr><w:sz w:val="20"/></w:rPr>'  # contents entries in 10 pt, so that a report's fit on a page


_PAGE_REF_RESULT = re.compile(r'( PAGEREF _Toc\d+ \\h </w:instrText></w:r><w:r>' + re.escape(TOC_RPR)
                              + r'<w:fldChar w:fldCharType="separate"/></w:r>)')


def contents_entries(docx: bytes) -> int:
    """How many entries with a page number the contents of a document made by `toc(page_refs=True)` have."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(docx)) as source:
        return len(_PAGE_REF_RESULT.findall(source.read("word/document.xml").decode("utf-8")))


def number_contents(docx: bytes, pages: Sequence[int]) -> bytes | None:
    """The document with the page numbers of its contents (made with `toc(page_refs=True)`) filled in, one per
    entry in order, as the cached results of their PAGEREF fields; None when the count does not match (pages
    laid out for other headings): better no number than a wrong one."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(docx)) as source:
        xml = source.read("word/document.xml").decode("utf-8")
        if len(_PAGE_REF_RESULT.findall(xml)) != len(pages):
            return None
        numbers = iter(pages)
        xml = _PAGE_REF_RESULT.sub(lambda m: f"{m.group(1)}<w:r>{TOC_RPR}<w:t>{next(numbers)}</w:t></w:r>", xml)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = xml.encode("utf-8") if info.filename == "word/document.xml" else source.read(info)
                target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    return out.getvalue()


def _toc_runs(text: str, bold: bool) -> str:
    props = '<w:rPr><w:b/><w:sz w:val="20"/></w:rPr>' if bold else TOC_RPR
    return f'<w:r>{props}<w:t xml:space="preserve">{escape_xml(clean(text))}</w:t></w:r>'


class DocxWriter:
    REQUIRED_STYLES = ("Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Table Grid", "List Bullet",
                       "Caption")

    def __init__(self, template: Path | None = None, *, paper: str = "A4") -> None:
        from docx import Document

        self.doc = Document(str(template)) if template else Document()
        body = self.doc.element.body
        if template:
            # keep the letterhead (headers, footers, page set-up), drop the template's own body text
            for child in list(body):
                if not child.tag.endswith("}sectPr"):
                    body.remove(child)
        else:
            self._page_setup(paper)
        self._usable: dict[bool, float] = {}
        self.header_fill = DEFAULT_HEADER_FILL
        if template:
            self._derive_styles()
        self.style_ids = self._ensure_styles()
        self.pending: list[str] = []
        # (level, text, index in `pending` of its paragraph): the contents list them, and bookmark them
        self.headings: list[tuple[int, str, int]] = []
        self.has_toc = False
        self.toc_page_refs = False
        self.in_landscape = False

    def _page_setup(self, paper: str) -> None:
        """A4 (or US Letter) portrait with 2 cm margins: the page our documents are laid out for."""
        from docx.shared import Cm, Inches

        section = self.doc.sections[0]
        if paper == "Letter":
            section.page_width, section.page_height = Inches(8.5), Inches(11)
        else:
            section.page_width, section.page_height = Cm(21), Cm(29.7)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(2))

    def usable_width_cm(self, *, landscape: bool | None = None) -> float:
        """The width a table may take: the page's width (its height in a landscape section) less the margins."""
        landscape = self.in_landscape if landscape is None else landscape
        known = self._usable.get(landscape)
        if known is None:
            # asked for every table, and finding the section is a search of the document: the page set-up is
            # the template's (or ours) and does not change while the body is written
            section = self.doc.sections[-1]
            across = section.page_height if landscape else section.page_width
            emu = (across or 0) - (section.left_margin or 0) - (section.right_margin or 0)
            known = self._usable[landscape] = round(emu / 360000, 2) if emu > 0 else 17.0
        return known

    def _ensure_styles(self) -> dict[str, str]:
        """The styles we write with, added when the template lacks them: each based on the template's nearest
        style (a heading on the heading above it, the subtitle on the title), so that it looks like the
        template rather than like a default."""
        from docx.enum.style import WD_STYLE_TYPE
        from docx.shared import Pt

        ids: dict[str, str] = {}
        styles = self.doc.styles
        for name in self.REQUIRED_STYLES:
            try:
                style = styles[name]
            except KeyError:
                kind = WD_STYLE_TYPE.TABLE if name == "Table Grid" else WD_STYLE_TYPE.PARAGRAPH
                style = styles.add_style(name, kind)
                if name == "Table Grid":
                    _grid_borders(style)
                else:
                    parent = _ADDED_STYLE_PARENT.get(name, "Normal")
                    style.base_style = styles[parent] if _has_style(styles, parent) else styles["Normal"]
                    _added_look(style, name, Pt)
            ids[name] = style.style_id
        return ids

    def _derive_styles(self) -> None:
        """A template that restyles some headings and leaves others as python-docx's defaults (blue) would give a
        report in two looks. A style we use that the template left exactly as the default takes the colour and
        font of the style it derives from (Heading 2 from Heading 1, the title from Heading 1, ...), when that
        one was restyled; the header cells of tables take a light tint of Heading 1's colour."""
        from docx import Document
        from lxml import etree

        defaults = Document().styles
        styles = self.doc.styles

        def xml(style) -> bytes:
            return etree.tostring(style.element, method="c14n")

        def untouched(name: str) -> bool:
            return _has_style(defaults, name) and xml(styles[name]) == xml(defaults[name])

        for name, parent in _DERIVED_LOOK:
            if _has_style(styles, name) and _has_style(styles, parent) and untouched(name) and not untouched(parent):
                # a caption takes the colour only: it is set in the body's font
                _copy_look(styles[parent], styles[name], fonts=name != "Caption")
        if _has_style(styles, "Heading 1") and not untouched("Heading 1"):
            colour = styles["Heading 1"].font.color
            if colour is not None and colour.type is not None and colour.rgb is not None:
                self.header_fill = _tint(str(colour.rgb), 0.82)

    # -- content ---------------------------------------------------------------------------------------------

    def paragraph(self, text: str = "", *, style: str | None = None, flags: str = "", keep_next: bool = False,
                  align: str | None = None) -> None:
        self.runs([(text, flags)], style=style, keep_next=keep_next, align=align)

    def runs(self, runs: Sequence[Run], *, style: str | None = None, keep_next: bool = False,
             align: str | None = None) -> None:
        ppr = ""
        if style:
            ppr += f'<w:pStyle w:val="{self.style_ids.get(style, style)}"/>'
        if keep_next:
            ppr += "<w:keepNext/>"
        if align:
            ppr += f'<w:jc w:val="{align}"/>'
        self.pending.append(f"<w:p>{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{_runs_xml(runs)}</w:p>")

    def heading(self, text: str, level: int = 1) -> None:
        self.headings.append((level, clean(text), len(self.pending)))
        self.paragraph(text, style=f"Heading {level}", keep_next=True)

    TOC_MARK = "\u2063QMS-TOC\u2063"

    def contents_page(self, levels: int = 2, *, page_refs: bool = False) -> None:
        """A page of its own with the title "Contents" and the table of contents."""
        self.paragraph(_("Contents"), style="Title")
        self.toc(levels=levels, page_refs=page_refs)
        self.page_break()

    def toc(self, levels: int = 2, *, page_refs: bool = False) -> None:
        """A table of contents, filled with the headings at save time.

        By default a TOC field, which reads well where nothing updates fields (LibreOffice's PDF export) and
        which Word rebuilds with page numbers on opening. With `page_refs`, each entry links to its heading (a
        bookmark) and carries a PAGEREF field for its page number instead: LibreOffice works those out whenever
        it lays the document out (so a PDF made from it has them; a TOC field would keep them as written), Word
        updates them on opening, and `number_contents` fills them in beforehand, from one layout, for readers
        that update nothing."""
        self.has_toc = True
        self.toc_levels = levels
        self.toc_page_refs = page_refs
        self.paragraph(self.TOC_MARK)

    def toc_entries(self) -> list[tuple[int, str]]:
        """The headings the table of contents lists, in order: (level, text)."""
        return [(lvl, text) for lvl, text, _ in self.headings if lvl <= self.toc_levels]

    def _fill_toc(self) -> None:
        marker = next((i for i, chunk in enumerate(self.pending) if self.TOC_MARK in chunk), None)
        if marker is None:
            return
        if self.toc_page_refs:
            self.pending[marker] = self._linked_toc()
            return
        entries = self.toc_entries() or [(1, _("Contents"))]
        paragraphs = []
        last = len(entries) - 1
        for i, (lvl, text) in enumerate(entries):
            indent = f'<w:ind w:left="{(lvl - 1) * 400}"/>'
            begin = ('<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'
                     '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-3" \\h \\z \\u </w:instrText></w:r>'
                     '<w:r><w:fldChar w:fldCharType="separate"/></w:r>') if i == 0 else ""
            end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>' if i == last else ""
            paragraphs.append(f'<w:p><w:pPr><w:spacing w:after="40"/>{indent}</w:pPr>{begin}'
                              f"{_runs_xml([(text, 'b' if lvl == 1 else '')])}{end}</w:p>")
        self.pending[marker] = "".join(paragraphs)

    def _linked_toc(self) -> str:
        """The contents as links to bookmarked headings, each with a PAGEREF field and a dotted leader."""
        listed = [(lvl, text, at) for lvl, text, at in self.headings if lvl <= self.toc_levels]
        right = int(self.usable_width_cm(landscape=False) * 567)
        paragraphs = []
        for n, (lvl, text, at) in enumerate(listed):
            name = f"_Toc{n + 1:08d}"
            heading = self.pending[at]
            close = heading.rindex("</w:p>")
            self.pending[at] = (heading[:close].replace("</w:pPr>", f'</w:pPr><w:bookmarkStart w:id="{n + 1}" '
                                                                     f'w:name="{name}"/>', 1)
                                + f'<w:bookmarkEnd w:id="{n + 1}"/></w:p>')
            paragraphs.append(
                f'<w:p><w:pPr><w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{right}"/></w:tabs>'
                f'<w:spacing w:after="20"/><w:ind w:left="{(lvl - 1) * 400}"/>{TOC_RPR}</w:pPr>'
                f'<w:hyperlink w:anchor="{name}" w:history="1">{_toc_runs(text, lvl == 1)}'
                f'<w:r>{TOC_RPR}<w:tab/></w:r><w:r>{TOC_RPR}<w:fldChar w:fldCharType="begin"/></w:r>'
                f'<w:r>{TOC_RPR}<w:instrText xml:space="preserve"> PAGEREF {name} \\h </w:instrText></w:r>'
                f'<w:r>{TOC_RPR}<w:fldChar w:fldCharType="separate"/></w:r>'
                f'<w:r>{TOC_RPR}<w:fldChar w:fldCharType="end"/></w:r></w:hyperlink></w:p>')
        return "".join(paragraphs) or "<w:p/>"

    def bullets(self, items: Iterable[str | Sequence[Run]]) -> None:
        for item in items:
            self.runs([(item, "")] if isinstance(item, str) else item, style="List Bullet")

    def page_break(self) -> None:
        self.pending.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')

    def field(self, instruction: str, placeholder: str, *, style: str | None = None) -> None:
        """A Word field (TOC, PAGE): Word computes it; the placeholder shows until it does."""
        ppr = f'<w:pPr><w:pStyle w:val="{self.style_ids.get(style, style)}"/></w:pPr>' if style else ""
        self.pending.append(
            f"<w:p>{ppr}<w:r><w:fldChar w:fldCharType=\"begin\" w:dirty=\"true\"/></w:r>"
            f"<w:r><w:instrText xml:space=\"preserve\"> {esc(instruction)} </w:instrText></w:r>"
            f"<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>{_runs_xml([(placeholder, 'i')])}"
            f"<w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p>")

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[object]], *, widths: Sequence[float] | None = None,
              small: bool = True, bold_first: bool = False, landscape: bool | None = None,
              row_height_cm: float | None = None, keep_together: bool = False) -> None:
        """A table with a header row repeated on every page, in a fixed layout across the usable width.

        `widths` are the columns' shares of that width (in centimetres as laid out on a portrait page, or any
        unit); without them, columns share it in proportion to how much text they hold. Every column is at
        least as wide as the longest word of its header and of its cells (words of up to 24 characters), so
        no such word breaks. A table whose words cannot fit across a portrait page is put on landscape pages
        (`landscape=True` asks for them, `False` keeps the page as it is). `row_height_cm` makes every body row
        at least that tall, so that a sign-off table has room for handwritten signatures. A short table
        `keep_together` is kept on one page (with the heading before it) when it fits on one."""
        rows = [list(r) for r in rows]
        font_pt = 9.0 if small else 11.0
        minimums = [column_minimum_cm(h, [r[i] if i < len(r) else None for r in rows], font_pt)
                    for i, h in enumerate(headers)]
        shares = list(widths) if widths else self.auto_widths(headers, rows)
        # a landscape section of its own, unless the table is already on landscape pages (opened by the caller,
        # with its heading, by `landscape_begin`)
        turn = not self.in_landscape and (landscape if landscape is not None
                                          else sum(minimums) > self.usable_width_cm())
        if turn:
            self.landscape_begin()
        widths = fit_widths(shares, minimums, self.usable_width_cm())
        twips = [int(w * 567) for w in widths]
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in twips)
        flags = "s" if small else ""
        parts = [f'<w:tbl><w:tblPr><w:tblStyle w:val="{self.style_ids["Table Grid"]}"/>'
                 f'<w:tblW w:w="{sum(twips)}" w:type="dxa"/><w:tblLayout w:type="fixed"/></w:tblPr>'
                 f"<w:tblGrid>{grid}</w:tblGrid>"]

        # Column widths live in the grid (fixed layout); only the header cells repeat them, for older readers.
        widths_xml = [f'<w:tcW w:w="{w}" w:type="dxa"/>' for w in twips]
        bold_flags = flags + "b"
        plain_open = '<w:p><w:pPr><w:spacing w:after="0"/></w:pPr>'
        # a paragraph kept with the next keeps its row with the next row: the whole table stays on one page
        para_open = '<w:p><w:pPr><w:keepNext/><w:spacing w:after="0"/></w:pPr>' if keep_together else plain_open
        shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{self.header_fill}"/>'

        def cell(value: object, cell_flags: str) -> str:
            text = clean(value) if value is not None else ""
            if "\n\n" in text:
                return "".join(f"{para_open}{_run_xml(p, cell_flags)}</w:p>" for p in text.split("\n\n"))
            return f"{para_open}{_run_xml(text, cell_flags)}</w:p>"

        parts.append('<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>'
                     + "".join(f"<w:tc><w:tcPr>{widths_xml[i] if i < len(widths_xml) else ''}{shade}</w:tcPr>"
                               f"{cell(h, bold_flags)}</w:tc>" for i, h in enumerate(headers)) + "</w:tr>")
        def plain_or_marked(value: object, cell_flags: str) -> str:
            if isinstance(value, Cell):
                fill = f'<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{value.fill}"/></w:tcPr>' \
                    if value.fill else ""
                # the marking (bold, say) is for its first paragraph; what follows it is plain detail
                first, _, rest = value.text.partition("\n\n")
                return (f"<w:tc>{fill}{cell(first, cell_flags + value.flags)}"
                        f"{cell(rest, cell_flags) if rest else ''}</w:tc>")
            return f"<w:tc>{cell(value, cell_flags)}</w:tc>"

        first_flags = bold_flags if bold_first else flags
        height = f'<w:trHeight w:val="{int(row_height_cm * 567)}" w:hRule="atLeast"/>' if row_height_cm else ""
        for i, row in enumerate(rows):
            if keep_together and i == len(rows) - 1:
                para_open = plain_open
            cells = [plain_or_marked(row[0], first_flags)] if row else []
            cells += [plain_or_marked(v, flags) for v in row[1:]]
            parts.append(f"<w:tr><w:trPr><w:cantSplit/>{height}</w:trPr>{''.join(cells)}</w:tr>")
        parts.append("</w:tbl>")
        self.pending.append("".join(parts))
        # Word needs a paragraph between two tables
        self.pending.append('<w:p><w:pPr><w:spacing w:after="0"/></w:pPr></w:p>')
        if turn:
            self.landscape_end()

    # -- landscape pages: a section of their own, with the document's headers and footers ---------------------

    SECTION_MARK = "\u2063QMS-SECTION-{}\u2063"

    def landscape_begin(self) -> None:
        """What follows goes on landscape pages (until `landscape_end`)."""
        if not self.in_landscape:
            self.pending.append(f"<w:p><w:pPr>{self.SECTION_MARK.format('portrait')}</w:pPr></w:p>")
            self.in_landscape = True

    def landscape_end(self) -> None:
        if self.in_landscape:
            self.pending.append(f"<w:p><w:pPr>{self.SECTION_MARK.format('landscape')}</w:pPr></w:p>")
            self.in_landscape = False

    def _fill_sections(self) -> None:
        """Each section break carries the document's own page set-up (turned for landscape pages) and its header
        and footer references, so every page has the same letterhead, footer and page numbers."""
        if self.in_landscape:
            self.landscape_end()
        if not any(self.SECTION_MARK.format("portrait") in chunk for chunk in self.pending):
            return
        from lxml import etree

        final = self.doc.sections[-1]._sectPr
        kept = "".join(etree.tostring(child, encoding="unicode") for child in final
                       if etree.QName(child).localname in ("headerReference", "footerReference", "pgMar"))
        width, height = final.find(f"{{{W_NS}}}pgSz").get(f"{{{W_NS}}}w"), final.find(f"{{{W_NS}}}pgSz").get(
            f"{{{W_NS}}}h")
        portrait = f'<w:sectPr>{kept}<w:pgSz w:w="{width}" w:h="{height}"/></w:sectPr>'
        landscape = (f'<w:sectPr>{kept}<w:pgSz w:w="{height}" w:h="{width}" w:orient="landscape"/>'
                     "</w:sectPr>")
        # a sectPr lists its children in a fixed order: references, then pgSz, then pgMar
        portrait, landscape = (_ordered_section(x) for x in (portrait, landscape))
        self.pending = [chunk.replace(self.SECTION_MARK.format("portrait"), portrait)
                        .replace(self.SECTION_MARK.format("landscape"), landscape) for chunk in self.pending]

    @staticmethod
    def auto_widths(headers: Sequence[str], rows: Sequence[Sequence[object]], total: float = 17.0) -> list[float]:
        weights = []
        for i, header in enumerate(headers):
            lengths = [len(clean(r[i])) for r in rows[:200] if i < len(r) and r[i] is not None]
            typical = (sum(lengths) / len(lengths)) if lengths else 0
            weights.append(max(len(str(header)) * 0.8, min(typical, 60), 4))
        scale = total / sum(weights)
        return [max(1.2, w * scale) for w in weights]

    def picture(self, png: bytes, width_cm: float, caption: str | None = None) -> None:
        from docx.shared import Cm
        from lxml import etree

        inline = self.doc.part.new_pic_inline(io.BytesIO(png), Cm(width_cm), None)
        drawing = etree.tostring(inline, encoding="unicode")
        self.pending.append(f"<w:p><w:r><w:drawing>{drawing}</w:drawing></w:r></w:p>")
        if caption:
            self.paragraph(caption, style="Caption")

    # -- package -----------------------------------------------------------------------------------------------

    def _materialize(self) -> None:
        """Parse the whole body once and put it in place of the document's body."""
        from docx.oxml import parse_xml
        from docx.oxml.ns import nsmap
        from lxml import etree

        root = self.doc.element
        body = root.body
        kept = "".join(etree.tostring(child, encoding="unicode") for child in body)  # the template's sectPr
        declarations = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in nsmap.items())
        new_body = parse_xml(f"<w:body {declarations}>{''.join(self.pending)}{kept}</w:body>")
        root.replace(body, new_body)
        self.pending.clear()

    def page_numbers(self, left_text: str) -> None:
        """Footer: a reference on the left, 'Page N of M' on the right, as Word fields."""
        from docx.oxml import parse_xml

        for section in self.doc.sections:
            footer = section.footer
            paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
            if paragraph.text.strip():
                paragraph = footer.add_paragraph()
            xml = (f'<w:p {NS_DECL}><w:pPr><w:tabs><w:tab w:val="right" w:pos="9638"/></w:tabs></w:pPr>'
                   f"{_runs_xml([(left_text, 's')])}<w:r><w:rPr><w:sz w:val=\"18\"/></w:rPr><w:tab/></w:r>"
                   f"{_page_of_pages_xml()}</w:p>")
            paragraph._p.addprevious(parse_xml(xml))
            if not paragraph.text.strip():
                paragraph._p.getparent().remove(paragraph._p)

    def header_note(self, text: str) -> None:
        """A line at the top of every page (the DRAFT marking), in bold dark red, below the template's letterhead
        when it has one; landscape pages share the header (`_fill_sections`)."""
        from docx.oxml import parse_xml

        for number, section in enumerate(self.doc.sections):
            headers = [section.header]
            if section.different_first_page_header_footer:
                headers.append(section.first_page_header)
            for header in headers:
                if header.is_linked_to_previous and number > 0:
                    continue  # the previous section's header, which has the line already
                paragraphs = header.paragraphs
                xml = f'<w:p {NS_DECL}><w:pPr><w:jc w:val="right"/></w:pPr>{_runs_xml([(text, "br")])}</w:p>'
                if len(paragraphs) == 1 and _is_empty(paragraphs[0]._p):
                    paragraphs[0]._p.addprevious(parse_xml(xml))
                    paragraphs[0]._p.getparent().remove(paragraphs[0]._p)
                elif paragraphs:
                    paragraphs[-1]._p.addnext(parse_xml(xml))
                else:
                    header._element.append(parse_xml(xml))

    def update_fields_on_open(self) -> None:
        """Ask Word to refresh the table of contents and page numbers when the file is opened."""
        from docx.oxml import parse_xml

        settings = self.doc.settings.element
        for old in settings.findall(f"{{{W_NS}}}updateFields"):
            settings.remove(old)
        settings.append(parse_xml(f'<w:updateFields {NS_DECL} w:val="true"/>'))

    def properties(self, *, title: str, subject: str, author: str, when, keywords: str = "") -> None:
        import datetime as dt

        props = self.doc.core_properties
        props.title = clean(title)
        props.subject = clean(subject)
        props.author = clean(author)
        props.last_modified_by = clean(author)
        props.keywords = clean(keywords)
        stamp = dt.datetime.combine(when, dt.time(12, 0)) if not isinstance(when, dt.datetime) else when
        props.created = stamp
        props.modified = stamp
        props.revision = 1

    def save_bytes(self) -> bytes:
        if self.has_toc:
            self._fill_toc()
        self._fill_sections()
        out = io.BytesIO()
        self.doc.save(out)
        spliced = self._splice_body(out.getvalue())
        if spliced is not None:
            return spliced
        # a template whose main part does not use the usual w: prefix: parse the body instead (slower)
        self._materialize()
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

    def _splice_body(self, package: bytes) -> bytes | None:
        """Write the body text straight into word/document.xml of the saved package.

        Moving a large parsed tree into python-docx's document costs more than building the whole report;
        the body is well-formed by construction (every text is escaped), and tests parse it back."""
        import zipfile

        source = zipfile.ZipFile(io.BytesIO(package))
        main = next((n for n in source.namelist() if n == "word/document.xml"), None)
        if main is None:
            return None
        xml = source.read(main).decode("utf-8")
        head_end = xml.find(">", xml.find("<w:document")) + 1
        if f'xmlns:w="{W_NS}"' not in xml[:head_end]:
            return None
        body_open = xml.find("<w:body>")
        if body_open < 0:
            return None
        insert_at = body_open + len("<w:body>")
        document = xml[:insert_at] + "".join(self.pending) + xml[insert_at:]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = document.encode("utf-8") if info.filename == main else source.read(info)
                # level 1: the body text compresses well anyway, and level 6 costs three times as long
                target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.pending.clear()
        return out.getvalue()


def _is_empty(paragraph) -> bool:
    """A paragraph with nothing in it but its properties (no text, picture or field): safe to replace."""
    return all(child.tag == f"{{{W_NS}}}pPr" for child in paragraph)


# -- styles ---------------------------------------------------------------------------------------------------

DEFAULT_HEADER_FILL = "D9E2F3"
# which style a style we use takes its look from, when the template left it as the default (see _derive_styles)
_DERIVED_LOOK = (("Heading 2", "Heading 1"), ("Heading 3", "Heading 2"), ("Title", "Heading 1"),
                 ("Subtitle", "Title"), ("Caption", "Heading 2"))
# which style a style the template lacks is based on (see _ensure_styles)
_ADDED_STYLE_PARENT = {"Heading 1": "Normal", "Heading 2": "Heading 1", "Heading 3": "Heading 2",
                       "Title": "Heading 1", "Subtitle": "Title", "Caption": "Normal", "List Bullet": "Normal"}


def _has_style(styles, name: str) -> bool:
    try:
        styles[name]
    except KeyError:
        return False
    return True


def _added_look(style, name: str, pt) -> None:
    """Size, weight and outline level of a style added on the template's base: a heading keeps its own level
    (the navigation pane and the contents depend on it), the title and subtitle none."""
    from docx.oxml import parse_xml

    p_pr = style.element.get_or_add_pPr()
    if name.startswith("Heading"):
        style.font.bold = True
        style.font.size = pt({"Heading 1": 16, "Heading 2": 13, "Heading 3": 11.5}[name])
        level = int(name.split()[1]) - 1
    else:
        level = 9  # body text: not an outline level
        if name == "Title":
            style.font.size = pt(24)
        elif name == "Subtitle":
            style.font.size, style.font.italic, style.font.bold = pt(13), True, False
        elif name == "Caption":
            style.font.size, style.font.italic, style.font.bold = pt(9), True, False
    p_pr.append(parse_xml(f'<w:outlineLvl {NS_DECL} w:val="{level}"/>'))


def _grid_borders(style) -> None:
    """Single lines around and between the cells of a table style added as "Table Grid"."""
    from docx.oxml import parse_xml

    sides = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
                    for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    tbl_pr = style.element.find(f"{{{W_NS}}}tblPr")
    if tbl_pr is None:
        tbl_pr = parse_xml(f"<w:tblPr {NS_DECL}/>")
        style.element.append(tbl_pr)
    tbl_pr.append(parse_xml(f"<w:tblBorders {NS_DECL}>{sides}</w:tblBorders>"))


def _copy_look(source, target, *, fonts: bool = True) -> None:
    """The font and colour of `source` on `target` (and on the line under it, for a title that has one)."""
    src = source.element.rPr
    if src is None:
        return
    rpr = target.element.get_or_add_rPr()
    source_fonts = src.rFonts if fonts else None
    if source_fonts is not None:
        mine = rpr.get_or_add_rFonts()
        mine.attrib.clear()
        mine.attrib.update(source_fonts.attrib)
    colour = source.font.color
    if colour is not None and colour.type is not None and colour.rgb is not None:
        target.font.color.rgb = colour.rgb
        line = target.element.find(f"{{{W_NS}}}pPr/{{{W_NS}}}pBdr/{{{W_NS}}}bottom")
        if line is not None:
            line.set(f"{{{W_NS}}}color", str(colour.rgb))
            for theme in ("themeColor", "themeTint", "themeShade"):
                line.attrib.pop(f"{{{W_NS}}}{theme}", None)


def _tint(rgb: str, towards_white: float) -> str:
    """A light shade of a colour, for the background of header cells."""
    channels = [int(rgb[i:i + 2], 16) for i in (0, 2, 4)]
    return "".join(f"{round(c + (255 - c) * towards_white):02X}" for c in channels)


def _ordered_section(xml: str) -> str:
    """A sectPr's children in schema order: header and footer references, page size, then margins."""
    import re

    refs = "".join(re.findall(r"<w:(?:header|footer)Reference\b[^>]*/>", xml))
    size = "".join(re.findall(r"<w:pgSz\b[^>]*/>", xml))
    margins = "".join(re.findall(r"<w:pgMar\b[^>]*/>", xml))
    return f'<w:sectPr>{refs}<w:type w:val="nextPage"/>{size}{margins}</w:sectPr>'


# Advance widths of DejaVu Sans in thousandths of an em: the widest of the fonts our documents meet where
# Calibri is missing (LibreOffice on a server falls back to it), so a width worked out with them is enough in
# Calibri, Carlito, Arial or Liberation Sans too. Bold is about a tenth wider.
_CHAR_EM = {
    **dict(zip("abcdefghijklmnopqrstuvwxyz",
               (613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392,
                634, 592, 818, 592, 592, 525), strict=True)),
    **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
               (684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611,
                732, 684, 989, 685, 611, 685), strict=True)),
    **dict.fromkeys("0123456789", 636), **dict.fromkeys(" .,;", 318), **dict.fromkeys(":/", 337),
    **dict.fromkeys("-", 361), **dict.fromkeys("()[]", 390), **dict.fromkeys("%", 950), **dict.fromkeys("&", 780),
}
CELL_PADDING_CM = 0.38 + 0.12  # Word's default cell margins (0.19 cm each side), and room for rounding


def text_width_cm(text: str, font_pt: float, *, bold: bool = False) -> float:
    """How wide a run of text is on the page, in centimetres."""
    return _em_width(text) * font_pt * (1.12 if bold else 1.0) * 2.54 / 72


_WIDEST_EM = 1.0  # wider than any letter of the table below (W is 0.989)


@lru_cache(maxsize=65536)
def _em_width(text: str) -> float:
    # the same words come back in table after table (dates, names, grades): measured once each
    return sum(_CHAR_EM.get(ch, 640) for ch in text) / 1000


def column_minimum_cm(header: str, cells: Sequence[object], font_pt: float) -> float:
    """The narrowest a column can be without breaking a word of its header (bold) or of its cells; words
    longer than 24 characters (addresses, hashes) may break."""
    # in ems, bold words a tenth wider; a plain loop, as a report's tables hold a hundred thousand words
    widest = max((_em_width(w) * 1.12 for w in clean(header).split()), default=0.0)
    for value in cells[:500]:
        if value is None:
            continue
        factor = 1.12 if isinstance(value, Cell) and "b" in value.flags else 1.0
        for word in str(value).split():  # measured as written: what `clean` drops is never visible
            # no word can be wider than its length in the widest letter: most need no measuring
            if len(word) <= 24 and len(word) * _WIDEST_EM * factor > widest:
                width = _em_width(word) * factor
                if width > widest:
                    widest = width
    return round(max(widest * font_pt * 2.54 / 72 + CELL_PADDING_CM, 1.0), 2)


def fit_widths(shares: Sequence[float], minimums: Sequence[float], usable: float) -> list[float]:
    """Column widths across `usable` centimetres: in proportion to `shares`, each at least its minimum, the
    room given to a narrow column taken from the others in proportion to what they have above theirs. When
    the minimums alone are wider than the page, they are scaled down together (words may then break)."""
    minimums = list(minimums)[:len(shares)] + [1.0] * max(0, len(shares) - len(minimums))
    if sum(minimums) >= usable:
        return [round(m * usable / sum(minimums), 3) for m in minimums]
    total = sum(shares) or 1.0
    widths = [max(share * usable / total, low) for share, low in zip(shares, minimums, strict=True)]
    for _round in range(10):
        excess = sum(widths) - usable
        if excess <= 0.001:
            break
        spare = [w - low for w, low in zip(widths, minimums, strict=True)]
        room = sum(spare)
        widths = [w - excess * sp / room for w, sp in zip(widths, spare, strict=True)]
        widths = [max(w, low) for w, low in zip(widths, minimums, strict=True)]
    return [round(w, 3) for w in widths]
