"""Desk review: which of the SOPs the standards ask for does the institution have, and in what state?

Documents (.docx, .md, .pdf) are read without running anything in them: a .docx is checked like every
received Office file (size, zip bomb, DTD, encryption) and its XML parsed with entities off; a PDF's text is
read with PDFium (pypdfium2), page by page, up to a bound. A document that cannot be read is reported and
skipped.

Documents are read in English, Indonesian and Malay alike: a section is found by its name in the standard, its
other names, or the name a translation overlay gives it (`SopNames`); an SOP by its id or its title in any of
them; document control by its labels in the three languages. What the review says to a person (`details`,
`state_words`) is in the reader's language; its JSON and the evidence it attaches to an audit are not.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qms_audit.infra.clock import add_months
from qms_audit.infra.errors import QmsError
from qms_audit.infra.files import MIB, decode_text, read_bytes_bounded
from qms_audit.infra.i18n import N_, NP_, _, current_language, format_date, pgettext
from qms_audit.model.standard import SopDefinition, Standard

SUFFIXES = (".docx", ".md", ".markdown", ".pdf")
MAX_DOCUMENT_BYTES = 25 * MIB
MAX_PDF_PAGES = 300
MAX_FILES = 5000
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class Document:
    path: str
    kind: str
    text: str = ""
    headings: list[str] = field(default_factory=list)
    error: str | None = None
    tables: list[list[list[str]]] = field(default_factory=list)  # rows of cells, as written (.docx, .md)
    # every line of `text` in order with its heading level (0: body text); what lies under each heading
    outline: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Metadata:
    version: str | None = None
    approved_by: str | None = None
    approved: bool = False
    status: str | None = None
    effective: dt.date | None = None
    next_review: dt.date | None = None
    document_number: str | None = None
    prepared_by: str | None = None
    reviewed_by: str | None = None


# the states and confidences of the JSON, as a person reads them
STATE_WORDS = {"missing": NP_("SOP state", "missing"), "incomplete": NP_("SOP state", "incomplete"),
               "draft": NP_("SOP state", "draft"), "overdue": NP_("SOP state", "overdue"),
               "unknown-dates": NP_("SOP state", "unknown dates"), "current": NP_("SOP state", "current")}
CONFIDENCE_WORDS = {"high": NP_("confidence", "high"), "medium": NP_("confidence", "medium"),
                    "low": NP_("confidence", "low")}


@dataclass
class SopFinding:
    sop_id: str
    title: str
    standard: str
    document: str | None
    other_documents: list[str]
    sections_present: list[str]
    sections_missing: list[str]
    metadata: Metadata | None
    review_due: dt.date | None
    overdue: bool
    state: str  # the most telling of `states`: missing, incomplete, draft, overdue, unknown-dates, current
    states: list[str] = field(default_factory=list)  # every state that applies, in that order
    confidence: str | None = None  # how sure the recognition is (`Recognition`); None when missing
    recognised_by: str | None = None  # why the document was taken for this SOP
    sections_empty: list[str] = field(default_factory=list)  # headed, but nothing under the heading
    # for the reader only (left out of the JSON): the reasons of `recognised_by` as messages with their fields,
    # and each section's name in the reader's language
    reasons: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    section_names: dict[str, str] = field(default_factory=dict)

    def state_words(self) -> str:
        """The states in the reader's language, as a list: "draft, overdue"."""
        return ", ".join(pgettext("SOP state", STATE_WORDS[s]) if s in STATE_WORDS else s for s in self.states)

    def confidence_word(self) -> str:
        """How sure the recognition is, in the reader's language ("" for an SOP no document was recognised as)."""
        confidence = self.confidence or ""
        return pgettext("confidence", CONFIDENCE_WORDS[confidence]) if confidence in CONFIDENCE_WORDS else confidence

    def _sections(self, names: list[str]) -> str:
        return ", ".join(self.section_names.get(name, name) for name in names)

    def details(self) -> list[str]:
        """What stands behind the states, a line each, in the reader's language (nothing for an SOP no document
        was recognised as)."""
        if self.document is None:
            return []
        md = self.metadata or Metadata()
        why = "; ".join(_(message).format(**fields) for message, fields in self.reasons) or self.recognised_by
        lines = [_("{document}: recognised with {confidence} confidence ({why})").format(
            document=self.document, confidence=self.confidence_word(), why=why)]
        control = [_(message).format(value=value) for message, value in (
            (N_("number {value}"), md.document_number), (N_("prepared by {value}"), md.prepared_by),
            (N_("reviewed by {value}"), md.reviewed_by),
            (N_("approved by {value}") if md.approved else N_("approver named {value}"), md.approved_by)) if value]
        if control:
            lines.append(_("document control: {fields}").format(fields=", ".join(control)))
        if self.sections_missing:
            lines.append(_("missing sections: {sections}").format(sections=self._sections(self.sections_missing)))
        if self.sections_empty:
            lines.append(_("empty sections (a heading, nothing under it): {sections}").format(
                sections=self._sections(self.sections_empty)))
        if not md.approved:
            lines.append(_("not approved: status {status}").format(status=md.status) if md.status
                         else _("not approved: no approval recorded"))
        if self.overdue and self.review_due:
            lines.append(_("overdue for review since {date}").format(date=format_date(self.review_due)))
        if self.review_due is None:
            lines.append(_("no effective or next review date: the review cycle cannot be checked"))
        if self.other_documents:
            lines.append(_("also recognised as it: {documents}").format(documents=", ".join(self.other_documents)))
        return lines

    def summary(self) -> str:
        """One line in English: the text of the evidence the review attaches to an audit (a record)."""
        if self.document is None:
            return f"no document recognised as {self.sop_id} {self.title}"
        md = self.metadata or Metadata()
        parts = [f"'{self.document}' recognised as {self.sop_id} with {self.confidence} confidence; "
                 f"{', '.join(self.states)}"]
        facts = []
        if md.version:
            facts.append(f"version {md.version}")
        facts.append(f"approved by {md.approved_by}" if md.approved else (f"status {md.status}" if md.status
                                                                          else "no approval recorded"))
        if md.effective:
            facts.append(f"effective {md.effective.isoformat()}")
        if self.review_due:
            facts.append(f"review due {self.review_due.isoformat()}" + (" (OVERDUE)" if self.overdue else ""))
        parts.append("(" + ", ".join(facts) + ")")
        if self.sections_missing:
            parts.append("missing sections: " + ", ".join(self.sections_missing))
        if self.sections_empty:
            parts.append("empty sections: " + ", ".join(self.sections_empty))
        if not self.sections_missing and not self.sections_empty:
            parts.append(f"all {len(self.sections_present)} required sections present")
        return "; ".join(parts)


@dataclass
class DeskReview:
    folder: str
    reviewed_on: dt.date
    documents: int
    unreadable: list[tuple[str, str]]
    unrecognised: list[str]
    sops: list[SopFinding]

    @property
    def gaps(self) -> int:
        return sum(1 for s in self.sops if s.state != "current")

    def to_json(self) -> dict:
        data = asdict(self)
        data["reviewed_on"] = self.reviewed_on.isoformat()
        for sop in data["sops"]:
            sop.pop("reasons")
            sop.pop("section_names")
            if sop["metadata"]:
                for key in ("effective", "next_review"):
                    if sop["metadata"][key]:
                        sop["metadata"][key] = sop["metadata"][key].isoformat()
            if sop["review_due"]:
                sop["review_due"] = sop["review_due"].isoformat()
        data["unreadable"] = [{"file": f, "reason": r} for f, r in self.unreadable]
        return data


# --- reading documents --------------------------------------------------------------------------------


def _safe_parser():
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


def read_docx(path: Path) -> Document:
    from lxml import etree

    from qms_audit.infra.office import check_office_bytes

    data = read_bytes_bounded(path, max_bytes=MAX_DOCUMENT_BYTES, what="document")
    check_office_bytes(data, shown=path.name)
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        if "word/document.xml" not in names:
            raise QmsError(f"{path.name}: not a Word document (no word/document.xml)")
        parser = _safe_parser()
        body = etree.fromstring(zf.read("word/document.xml"), parser)
        heading_levels = _heading_levels(zf, names, parser)
        outline: list[tuple[int, str]] = []
        tables: list[list[list[str]]] = []
        root = body.find(f"{W}body")
        _docx_blocks(root if root is not None else body, heading_levels, outline, tables)
    return Document(str(path), "docx", "\n".join(line for _, line in outline),
                    [line.strip() for level, line in outline if level], tables=tables, outline=outline)


def _heading_levels(zf: zipfile.ZipFile, names: set[str], parser) -> dict[str, int]:
    """The heading level of each heading style of a .docx (Title is 1, Heading N is N + 1)."""
    from lxml import etree

    levels: dict[str, int] = {}
    if "word/styles.xml" not in names:
        return levels
    styles = etree.fromstring(zf.read("word/styles.xml"), parser)
    for style in styles.iter(f"{W}style"):
        name = style.find(f"{W}name")
        label = ((name.get(f"{W}val") if name is not None else "") or "").lower()
        if label.startswith(("heading", "title")):
            number = re.search(r"\d+", label)  # the title is above every heading: Heading 1 is level 2
            levels[style.get(f"{W}styleId") or ""] = int(number.group()) + 1 if number else 1
    return levels


def _docx_blocks(container, heading_levels: dict[str, int], outline: list[tuple[int, str]],
                 tables: list[list[list[str]]]) -> None:
    """Paragraphs and tables in the order they are written (content controls opened), so that what lies under
    a heading, tables included, stays under it. A table is kept as rows of cells (document control is read
    from them cell by cell) and as "cell | cell" lines."""
    for child in container:
        if child.tag == f"{W}p":
            text = "".join(t.text or "" for t in child.iter(f"{W}t"))
            if text.strip():
                style = child.find(f"{W}pPr/{W}pStyle")
                level = heading_levels.get(style.get(f"{W}val") or "", 0) if style is not None else 0
                outline.append((level, text))
        elif child.tag == f"{W}tbl":
            rows = [[" ".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in c.iter(f"{W}p")).strip()
                     for c in row.iter(f"{W}tc")] for row in child.iter(f"{W}tr")]
            tables.append(rows)
            outline.extend((0, " | ".join(cells)) for cells in rows if any(cells))
        elif child.tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}ins", f"{W}smartTag"):
            _docx_blocks(child, heading_levels, outline, tables)


def read_markdown(path: Path) -> Document:
    text = decode_text(read_bytes_bounded(path, max_bytes=MAX_DOCUMENT_BYTES, what="document"), shown=path.name)
    outline = [(_markdown_level(line), line) for line in text.splitlines()]
    headings = [line.strip().strip("#*_ ") for level, line in outline if level]
    return Document(str(path), "md", text, headings, tables=markdown_tables(text), outline=outline)


def _markdown_level(line: str) -> int:
    """A Markdown line's heading level: "## x" is 2; a short line that is bold and nothing else ("**Document
    Control**"), which many SOPs use as a heading, comes below every "#" level."""
    if line.startswith("#"):
        return len(line) - len(line.lstrip("#"))
    if re.fullmatch(r"\s*(\*\*|__)[^*_]{2,80}\1:?\s*", line):
        return 7
    return 0


def markdown_tables(text: str) -> list[list[list[str]]]:
    """The pipe tables of a Markdown text, as rows of cells (the |---| line left out)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if stripped.startswith("|"):
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def read_pdf(path: Path) -> Document:
    import pypdfium2 as pdfium

    data = read_bytes_bounded(path, max_bytes=MAX_DOCUMENT_BYTES, what="document")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise QmsError(f"{path.name}: the PDF is encrypted (password-protected)") from None
        raise QmsError(f"{path.name}: the PDF cannot be read ({exc})") from None
    try:
        if len(pdf) > MAX_PDF_PAGES:
            raise QmsError(f"{path.name}: {len(pdf)} pages; documents are read up to {MAX_PDF_PAGES}")
        pages = []
        for index in range(len(pdf)):
            page = pdf[index]
            text_page = page.get_textpage()
            pages.append(text_page.get_text_range())
            text_page.close()
            page.close()
    except pdfium.PdfiumError as exc:
        raise QmsError(f"{path.name}: the PDF cannot be read ({exc})") from None
    finally:
        pdf.close()
    text = "\n".join(pages).replace("\r\n", "\n").replace("\r", "\n")
    # a PDF keeps no styles: a short line that starts with a section number is a heading, at its number's depth
    outline = []
    for line in text.splitlines():
        number = re.match(r"^\s*(\d+(?:\.\d+)*)\.?\s+\S", line)
        outline.append((number.group(1).count(".") + 1 if number and len(line.strip()) < 90 else 0, line))
    return Document(str(path), "pdf", text, [line.strip() for level, line in outline if level], outline=outline)


READERS: dict[str, Callable[[Path], Document]] = {".docx": read_docx, ".md": read_markdown,
                                                  ".markdown": read_markdown, ".pdf": read_pdf}


def read_document(path: Path) -> Document:
    try:
        return READERS[path.suffix.lower()](path)
    except QmsError as exc:
        return Document(str(path), path.suffix.lower().lstrip("."), error=exc.message)
    except Exception as exc:
        return Document(str(path), path.suffix.lower().lstrip("."),
                        error=f"{path.name}: cannot be read ({type(exc).__name__})")


# --- recognising SOPs ------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


# words of an SOP's title that tell nothing of its subject
_FUNCTION_WORDS = frozenset({"procedure", "sop", "standard", "operating", "to", "in", "on", "with", "by", "for",
                             "of", "the", "and", "a", "an"})


def subject_words(sops: list[SopDefinition]) -> frozenset[str]:
    """The words most of a standard's SOP titles share ("micro-credential"): they name what all its SOPs are
    about, not which one a document is. Read from three or more SOPs, none from fewer."""
    if len(sops) < 3:
        return frozenset()
    counts: dict[str, int] = {}
    for sop in sops:
        for word in _words(sop.title) - _FUNCTION_WORDS:
            counts[word] = counts.get(word, 0) + 1
    return frozenset(word for word, n in counts.items() if 2 * n >= len(sops) + 1)


@dataclass
class Recognition:
    """Why a document was taken for an SOP, and how sure that is: "high" when its id or its title heads the
    document, "medium" when the title's distinctive words head it, its keywords are in it and it speaks of the
    SOPs' subject, "low" when it is titled as the SOP but never speaks of their subject."""

    sop: SopDefinition
    confidence: str
    why: str
    rank: tuple[int, int, int]
    reasons: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # `why` as messages and fields


def _title_area(document: Document) -> list[str]:
    """What heads a document: its first lines (up to three) before its first section heading."""
    sections = {h.strip() for h in document.headings[1:]}
    lines: list[str] = []
    in_front_matter = document.text.startswith("---")
    for n, line in enumerate(document.text.splitlines()):
        text = line.strip()
        if in_front_matter:  # front matter is document control; only its title and subtitle head the document
            in_front_matter = n == 0 or text != "---"
            key, colon, value = text.partition(":")
            if in_front_matter and colon and key.strip().lower() in ("title", "subtitle") and value.strip():
                lines.append(value.strip().strip("'\""))
            continue
        if not text:
            continue
        if lines and (text.startswith("##") or re.match(r"^\d+(\.\d+)*\.?\s+\S", text)
                      or text.strip("#*_ ") in sections):
            break
        lines.append(text.strip("#*_ "))
        if len(lines) == 3:
            break
    return lines


def recognise_document(document: Document, sops: list[SopDefinition],
                       titles: dict[str, list[str]] | None = None) -> Recognition | None:
    """The SOP of one standard a document is, or None: an SOP is named at the top of its document (its id or
    its title, in English or as `titles` gives it in another language, or the words that set its English
    title apart); keywords alone, or another SOP's id cited in the text,
    do not make a document that SOP (a quality manual that mentions internal audits is not the audit SOP), and
    a document that never speaks of the SOPs' subject is not taken for one on its words alone (an information
    security risk procedure is not the micro-credential risk SOP)."""
    text = _norm(document.text)
    text_words = _words(document.text)
    # the file's name is part of what heads it: templates often carry their title only there
    area = _title_area(document)
    top_text = " ".join([Path(document.path).stem, *area])
    top = _norm(top_text)
    top_words = _words(top_text)
    subject = subject_words(sops)
    title_lines = [Path(document.path).stem, *area]
    best: Recognition | None = None
    for sop in sops:
        keywords = sum(1 for k in sop.keywords if _norm(k) in text)
        distinctive = _words(sop.title) - _FUNCTION_WORDS - subject
        reasons: list[tuple[str, dict[str, str]]] = []
        if _norm(sop.id) in top:
            reasons.append((N_("its id {sop_id} at the top"), {"sop_id": sop.id}))
        if _norm(sop.title) in top:
            reasons.append((N_("its title at the top"), {}))
        elif any(_norm(title) and _norm(title) in top for title in (titles or {}).get(sop.id, ())):
            reasons.append((N_("its translated title at the top"), {}))
        if reasons:
            confidence = "high"
        elif not (distinctive and distinctive <= top_words and keywords >= 2):
            continue
        elif subject <= text_words:
            confidence = "medium"
            reasons.append((N_("the words of its title ({words}) at the top"),
                            {"words": _in_order(distinctive, sop.title, ", ")}))
            if subject:
                reasons.append((N_("it speaks of {subject}s"), {"subject": _in_order(subject, sop.title, "-")}))
        elif any(distinctive <= _title_words(line) and len(_title_words(line) - distinctive) <= 1
                 for line in title_lines):
            # titled as the SOP without its subject ("Internal audit procedure", "Internal and external audit
            # procedure"): an institution-wide procedure may serve, but whether its scope takes in the subject is
            # for the auditor to check; a title that names another field ("Information security risk
            # management") is another procedure
            confidence = "low"
            reasons.append((N_("titled '{title}' but never speaks of {subject}s: check that its scope covers them"),
                            {"title": _in_order(distinctive, sop.title, " "),
                             "subject": _in_order(subject, sop.title, "-")}))
        else:
            continue  # titled for something else ("Information security risk assessment")
        reasons.append((N_("{found} of its {count} keywords"), {"found": str(keywords),
                                                                 "count": str(len(sop.keywords))}))
        rank = ({"high": 3, "medium": 2}.get(confidence, 1), len(reasons), keywords)
        if best is None or rank > best.rank:
            why = "; ".join(message.format(**fields) for message, fields in reasons)
            best = Recognition(sop, confidence, why, rank, reasons)
    return best


def _in_order(words: frozenset[str], title: str, joiner: str) -> str:
    """Some of a title's words, in the title's order ("internal, audit"; "micro-credential")."""
    ordered: list[str] = []
    for word in re.findall(r"[a-z0-9]+", title.lower()):
        single = next(iter(_words(word)), word)
        if single in words and single not in ordered:
            ordered.append(single)
    return joiner.join(ordered)


def _title_words(line: str) -> frozenset[str]:
    """A title's words that say what it is about: function words and codes ("SOP-06", "v1.2") set aside."""
    return frozenset(w for w in _words(line) - _FUNCTION_WORDS if not re.search(r"\d", w))


def _words(text: str) -> frozenset[str]:
    """A heading's words as compared: numbering, case, punctuation and "&" set aside, plurals as singulars."""
    text = re.sub(r"^\s*\d+(\.\d+)*\.?\s*", "", text).lower().replace("&", " and ")
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                     for w in re.findall(r"[a-z0-9]+", text) if w not in ("and", "of", "the", "for", "a", "an"))


# Other names SOPs commonly give their usual sections; a standard adds its own (`section_aliases` of an SOP).
COMMON_SECTION_ALIASES: dict[str, tuple[str, ...]] = {
    "Document control": ("Document information", "Document details", "Document approval", "Approvals",
                         "Sign-off"),
    "Purpose": ("Objective", "Aim", "Intent"),
    "Scope": ("Applicability", "Field of application"),
    "Definitions": ("Terms", "Glossary", "Abbreviations", "Acronyms", "Terminology"),
    "Responsibilities": ("Roles", "RACI", "Authorities", "Responsibility"),
    "Procedure": ("Process", "Method", "Activities", "Workflow", "Steps"),
    "Records": ("Record keeping", "Forms"),
    "Key performance indicators": ("KPI", "Performance indicators", "Performance measures", "Metrics",
                                   "Indicators"),
    "References": ("Related documents", "Reference documents", "Normative references", "Supporting documents",
                   "Bibliography"),
    "Revision history": ("Change history", "Version history", "Document history", "Change log", "Changelog",
                         "Amendment history", "Record of changes", "Record of revisions", "Revisions"),
}
_ALIASES_BY_WORDS = {_words(name): aliases for name, aliases in COMMON_SECTION_ALIASES.items()}

# a line under a heading that only holds its place: a bracketed prompt, "TBD", "Describe the ...", dots
_PLACEHOLDER_LINE = re.compile(
    r"(?i)^\W*(\[[^\]]*\]|<[^>]*>|\{[^}]*\}|tbd|tbc|tba|n/?a|x{3,}|lorem ipsum.*|text here.*|placeholder.*"
    r"|to be (completed|defined|written|added|confirmed|decided|drafted)\b.*"
    # Indonesian and Malay: "belum ditetapkan", "akan dilengkapi", "(diisi kemudian)"
    r"|(belum|akan) (ditetapkan|ditentukan|dilengkapi|diisi|ditulis|disusun|dirumuskan|disahkan)\b.*"
    r"|diisi kemudian\b.*"
    r"|(insert|enter|describe|specify|add|list|state|write|provide|explain|outline|summari[sz]e)\s+"
    r"(the|your|here|a|an|any|all|each|how|what|who|which|where|when|why|this|relevant)\b.*)\W*$")
_PAGE_LINE = re.compile(r"(?i)^\W*((page|halaman|muka surat)\s+\d+(\s+(of|dari|daripada)\s+\d+)?"
                        r"|\d+\s*(/|of|dari|daripada)\s*\d+|\d+)\W*$")


def _has_content(lines: list[str]) -> bool:
    """Whether lines say anything: a line with a word that is no placeholder, page number or table rule."""
    for line in lines:
        cells = [c.strip() for c in line.split("|")] if "|" in line else [line.strip()]
        if any(re.search(r"\w", c) and not _PLACEHOLDER_LINE.match(c) and not _PAGE_LINE.match(c) for c in cells):
            return True
    return False


def _under(outline: list[tuple[int, str]], index: int) -> list[str]:
    """The body lines under the heading at `index`, its subsections' included, up to the next heading of the
    same or a higher level."""
    level = outline[index][0]
    body = []
    for line_level, line in outline[index + 1:]:
        if line_level and line_level <= level:
            break
        if not line_level:
            body.append(line)
    return body


@dataclass
class SectionCheck:
    present: list[str]  # a heading (or its title line) with something under it
    missing: list[str]  # no heading for it
    empty: list[str]  # a heading with nothing under it but placeholders


def sections(document: Document, sop: SopDefinition, *, has_control_fields: bool = False) -> SectionCheck:
    """The SOP's required sections the document has, those it lacks, and those it heads but leaves empty.

    A heading holds a section when it has all the words of the section or of one of its other names (the
    common ones, and those the standard declares): "Roles and responsibilities" holds "Responsibilities",
    "1. Purpose and objectives" holds "Purpose", "KPIs" holds "Key performance indicators". A short line of
    text holds it only when it is the section's title itself. Document control read from a table or front
    matter counts as the document-control section."""
    outline = document.outline or [(0, line) for line in document.text.splitlines()]
    headed = [(i, _words(line.lstrip("# "))) for i, (level, line) in enumerate(outline) if level]
    levels = [outline[i][0] for i, _ in headed]
    if len(levels) > 1 and levels[0] < min(levels[1:]):
        headed = headed[1:]  # the document's title, above all its sections, holds none of them
    lines = {_words(line) for line in document.text.splitlines() if len(line) < 90}
    check = SectionCheck([], [], [])
    for section in sop.required_sections:
        key = _words(section)
        names = [key, *(_words(a) for a in _ALIASES_BY_WORDS.get(key, ())),
                 *(_words(a) for a in sop.section_aliases.get(section, ()))]
        names = [n for n in names if n]
        holding = [i for i, heading in headed if any(n <= heading for n in names)]
        if any(_has_content(_under(outline, i)) for i in holding):
            check.present.append(section)
        elif holding:
            if key == _words("Document control") and has_control_fields:
                check.present.append(section)
            else:
                check.empty.append(section)
        elif any(n in lines for n in names) or (key == _words("Document control") and has_control_fields):
            check.present.append(section)
        else:
            check.missing.append(section)
    return check


_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                          "nov", "dec"))}
# the months as Indonesian and Malay write them where English differs: Mei, Agustus/Ogos, Oktober, Desember/Disember,
# and Malay's Mac (March)
_MONTHS.update({"mac": 3, "mei": 5, "agu": 8, "ogo": 8, "okt": 10, "des": 12, "dis": 12})
_MONTH_WORD = "|".join(_MONTHS)
_DATE_PATTERNS = [
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), lambda m: dt.date(int(m[1]), int(m[2]), int(m[3]))),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), lambda m: dt.date(int(m[3]), int(m[2]), int(m[1]))),
    (re.compile(rf"(\d{{1,2}})\s+({_MONTH_WORD})[a-z]*\.?\s+(\d{{4}})", re.I),
     lambda m: dt.date(int(m[3]), _MONTHS[m[2].lower()[:3]], int(m[1]))),
]


def parse_date(text: str) -> dt.date | None:
    for pattern, build in _DATE_PATTERNS:
        match = pattern.search(text)
        if match:
            try:
                return build(match)
            except ValueError:
                continue
    return None


# The document-control fields and the labels they go by. Read only where a document declares them: a table
# (label and value side by side, or a row of labels over a row of values), front matter, or a "Label: value"
# line of the document-control part (before the body's first section, or under a document-control heading);
# never from a sentence that merely starts with the word, and never across a line or a cell.
_LABELS = {
    "version": ("version", "version no", "version number", "revision", "rev", "issue",
                # Indonesian and Malay
                "versi", "no versi", "nomor versi", "nombor versi", "revisi", "no revisi", "nomor revisi",
                "no semakan", "nombor semakan", "edisi", "keluaran"),
    "approved_by": ("approved by", "approver", "approval", "approved", "authorised by", "authorized by",
                    "penyetuju", "disetujui oleh", "disahkan oleh", "pengesah", "persetujuan",
                    "pelulus", "diluluskan oleh", "kelulusan", "diluluskan"),
    "status": ("document status", "status", "status dokumen"),
    "effective": ("effective date", "effective from", "date of effect", "effective",
                  "tanggal berlaku", "berlaku mulai", "berlaku sejak", "tanggal efektif", "mulai berlaku",
                  "tarikh berkuat kuasa", "tarikh kuat kuasa", "berkuat kuasa", "tarikh berkuatkuasa"),
    "next_review": ("next review date", "next review", "review date", "review due",
                    "tinjauan berikutnya", "tanggal tinjauan berikutnya", "peninjauan berikutnya",
                    "kaji ulang berikutnya", "kajian semula seterusnya", "tarikh kajian semula seterusnya",
                    "tarikh kajian semula", "semakan seterusnya"),
    "document_number": ("document no", "document number", "document id", "doc no", "doc id", "sop no",
                        "sop number", "document code",
                        "nomor dokumen", "no dokumen", "kode dokumen", "nombor dokumen", "kod dokumen",
                        "no rujukan", "nombor rujukan"),
    "prepared_by": ("prepared by", "author", "authored by", "written by", "drafted by",
                    "disiapkan oleh", "disusun oleh", "dibuat oleh", "penyusun",
                    "disediakan oleh", "penyedia"),
    "reviewed_by": ("reviewed by", "reviewer", "checked by", "verified by",
                    "ditinjau oleh", "diperiksa oleh", "peninjau", "pemeriksa",
                    "disemak oleh", "dikaji semula oleh", "penyemak"),
}
_FIELD_OF = {label: name for name, labels in _LABELS.items() for label in labels}
# labels that a PDF's table cells may give separated by spaces only ("Version 2.0"): none that starts a sentence
_SPACED = ("version", "revision", "approved by", "document status", "status", "effective date", "next review date",
           "next review", "review date")
_CONTROL_HEADINGS = ("document control", "document information", "document details", "document history",
                     "revision history", "version history", "change history", "approval", "approvals", "sign off",
                     "signoff", "document approval",
                     # Indonesian and Malay
                     "pengendalian dokumen", "kendali dokumen", "informasi dokumen", "identitas dokumen",
                     "riwayat revisi", "riwayat perubahan", "persetujuan", "pengesahan", "lembar pengesahan",
                     "kawalan dokumen", "maklumat dokumen", "sejarah pindaan", "rekod pindaan", "sejarah semakan",
                     "kelulusan", "pengesahan dokumen")


def _label(text: str) -> str | None:
    """The field a label cell or a label before a colon names, or None."""
    return _FIELD_OF.get(re.sub(r"\s+", " ", re.sub(r"[^a-z. ]+", " ", text.lower())).strip(" ."))


def _from_tables(tables: list[list[list[str]]]) -> dict[str, str]:
    """Fields from tables laid out as document control is: labels down the first column with their values
    beside them (two such rows at least: a revision history's "Version | Date | Change" header is no field), or
    a row of labels over rows of values, read by column from the last row that has any value (a revision
    history lists its latest version last)."""
    found: dict[str, str] = {}
    # labels down a column first: a revision history's columns (Revision | Date | Author) must not keep the
    # approval block's names from counting, and such a block is document control by its shape
    firsts = [[_label(cells[0]) if cells else None for cells in rows] for rows in tables]
    order = sorted(range(len(tables)), key=lambda t: sum(1 for name in firsts[t] if name) < 2)
    for t in order:
        rows, labelled = tables[t], firsts[t]
        vertical = sum(1 for name in labelled if name) >= 2
        for index, cells in enumerate(rows):
            if vertical:
                name = labelled[index]
                if name and len(cells) >= 2:
                    found.setdefault(name, cells[1].strip())  # label and value side by side
                continue
            labels = [_label(c) for c in cells]
            if sum(1 for name in labels if name) >= 2 and index + 1 < len(rows):
                filled = [row for row in rows[index + 1:] if any(c.strip() for c in row)]
                values = filled[-1] if filled else rows[index + 1]
                for name, value in zip(labels, values, strict=False):
                    if name:
                        found.setdefault(name, value.strip())
                break
    return found


def _front_matter(text: str) -> dict[str, str]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    found: dict[str, str] = {}
    for line in lines[1:40]:
        if line.strip() == "---":
            break
        key, colon, value = line.partition(":")
        name = _label(key) if colon else None
        if name:
            found.setdefault(name, value.strip().strip("'\""))
    return found


def _control_lines(document: Document) -> list[str]:
    """The lines of the document-control part: before the first heading of the body, and under any heading
    that names document control."""
    headings = {_norm(re.sub(r"^\s*\d+(\.\d+)*\.?\s*", "", h)) for h in document.headings[1:]}
    out: list[str] = []
    in_control = True
    for line in document.text.splitlines():
        key = _norm(re.sub(r"^\s*#*\s*\d+(\.\d+)*\.?\s*", "", line))
        if key and key in headings:
            in_control = key in _CONTROL_HEADINGS
            continue
        if in_control:
            out.append(line)
    return out


def _from_lines(lines: list[str], *, spaced: bool) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        text = line.strip().strip("*_|# ")
        label, colon, value = text.partition(":")
        name = _label(label) if colon and len(label) <= 40 else None
        if name:
            found.setdefault(name, value.strip(" *_|"))
            continue
        if spaced:
            match = re.match(rf"(?i)({'|'.join(re.escape(s) for s in _SPACED)})\s+(\S.*)$", text)
            if match:
                found.setdefault(_FIELD_OF[match.group(1).lower()], match.group(2).strip())
    return found


def control_fields(document: Document) -> dict[str, str]:
    """The document-control fields as written, a field given once: front matter first, then tables, then the
    document-control lines. An empty value stays empty (an approval row left blank is no approval)."""
    found = _front_matter(document.text)
    for name, value in [*_from_tables(document.tables).items(),
                        *_from_lines(_control_lines(document), spaced=document.kind == "pdf").items()]:
        found.setdefault(name, value)
    return found


_NOT_AN_APPROVAL = re.compile(r"(?i)^(n/?a|none|-+|tbc|tbd|to be \w+|pending.*|not (yet )?approved.*|draft.*|"
                              r"\[.*\]|<.*>|[_*]*\(.*\)[_*]*|_+|\.+|signature|sign(ed)?|name|"
                              # Indonesian and Malay: "belum ditetapkan", "menunggu persetujuan", "draf", "nama"
                              r"(belum|akan) \w+.*|menunggu.*|draf.*|rancangan.*|tiada|tidak ada|"
                              r"tanda ?tangan|ttd|nama)$")


def _a_name(value: str) -> str | None:
    """A field's value, or None when it is blank or only holds the place of one ("TBC", "[name]")."""
    value = value.strip()
    if not value or _NOT_AN_APPROVAL.match(value):
        return None
    return value if len(value) <= 120 else value[:119] + "…"


# a status that says the document is not approved yet, in English, Indonesian or Malay ("Draf untuk ditinjau",
# "Draf untuk semakan", "belum disetujui", "dalam semakan")
_NOT_APPROVED_STATUS = re.compile(r"(?i)draft|pending|not approved|under review|\bdraf\b|rancangan|"
                                  r"belum (disetujui|disahkan|diluluskan)|menunggu|dalam (tinjauan|semakan)")


def metadata(document: Document, fields: dict[str, str] | None = None) -> Metadata:
    fields = control_fields(document) if fields is None else fields
    md = Metadata()
    found = re.match(r"v?(\d+(\.\d+)*)\b", fields.get("version", ""), re.I)
    md.version = found.group(1) if found else None
    md.status = fields.get("status") or None
    md.document_number, md.prepared_by, md.reviewed_by = (_a_name(fields.get(name, "")) for name in
                                                          ("document_number", "prepared_by", "reviewed_by"))
    md.approved_by = _a_name(fields.get("approved_by", ""))
    if md.approved_by:
        md.approved = not (md.status and re.search(_NOT_APPROVED_STATUS, md.status))
    md.effective = parse_date(fields["effective"]) if fields.get("effective") else None
    md.next_review = parse_date(fields["next_review"]) if fields.get("next_review") else None
    return md


def _document_paths(folder: Path) -> list[Path]:
    """The documents of a folder and its subfolders, sorted, hidden files and folders left out."""
    paths: list[Path] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in sorted(files):
            if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                continue
            path = Path(root) / name
            if path.is_symlink():
                continue  # a link may lead anywhere on the machine; only the folder's own files are read
            paths.append(path)
            if len(paths) > MAX_FILES:
                from qms_audit.infra.errors import BadInput

                raise BadInput(f"{folder}: more than {MAX_FILES} documents; review a smaller folder")
    return sorted(paths)


@dataclass
class SopNames:
    """An SOP's title and required sections as the translation overlays name them, by language."""

    titles: dict[str, str] = field(default_factory=dict)  # language -> title
    sections: dict[str, dict[str, str]] = field(default_factory=dict)  # section in the standard -> language -> name

    def with_sections(self, sop: SopDefinition) -> SopDefinition:
        """The SOP with each section's translated names among its other names (a copy)."""
        aliases = {name: list(others) for name, others in sop.section_aliases.items()}
        for section, by_language in self.sections.items():
            aliases.setdefault(section, []).extend(by_language.values())
        return sop.model_copy(update={"section_aliases": aliases})


def translated_names(library, standards: list[Standard]) -> dict[tuple[str, str], SopNames]:
    """(standard key, SOP id) -> the names its translation overlays give it, from every overlay of the workspace
    that can be read and translates the standard's version (a broken or stale one is `standards validate`'s to
    report, and is passed over here)."""
    from qms_audit.model.overlay import LANGUAGES
    from qms_audit.services.overlays import OverlayLibrary

    overlays = OverlayLibrary(library)
    names: dict[tuple[str, str], SopNames] = {}
    for std in standards:
        for language in LANGUAGES:
            try:
                loaded = overlays.for_standard(std, language)
            except QmsError:
                continue
            if loaded is None or loaded.overlay is None or loaded.stale:
                continue
            for text in loaded.overlay.sops:
                if std.sop(text.id) is None:
                    continue
                entry = names.setdefault((std.key, text.id), SopNames())
                if text.title:
                    entry.titles[language] = text.title
                for section, translated in text.sections.items():
                    entry.sections.setdefault(section, {})[language] = translated
    return names


def review_folder(folder: Path, standards: list[Standard], *, today: dt.date, review_cycle_months: int = 24,
                  progress: Callable[[int, int], None] | None = None, workers: int = 1,
                  names: dict[tuple[str, str], SopNames] | None = None) -> DeskReview:
    """The documents of `folder` against the SOPs of `standards`; `names` gives the SOPs' titles and sections in
    other languages (`translated_names`), so that a translated SOP is read as the English one is."""
    names = names or {}
    if not folder.is_dir():
        from qms_audit.infra.errors import NotFound

        raise NotFound(f"{folder}: no such folder")
    documents = _read_all(_document_paths(folder), progress, workers)
    titles = {std.key: {sop.id: list(names[(std.key, sop.id)].titles.values()) for sop in std.sops
                        if (std.key, sop.id) in names} for std in standards}
    # a document is recognised within each standard: one procedure may be the SOP of several standards
    matched: dict[tuple[str, str], list[tuple[Recognition, Document]]] = {}
    unreadable, unrecognised = [], []
    for doc in documents:
        rel = os.path.relpath(doc.path, folder)
        doc.path = rel
        if doc.error:
            unreadable.append((rel, doc.error))
            continue
        recognised = False
        for std in standards:
            found = recognise_document(doc, list(std.sops), titles[std.key])
            if found is not None:
                matched.setdefault((std.key, found.sop.id), []).append((found, doc))
                recognised = True
        if not recognised:
            unrecognised.append(rel)
    findings = []
    for std in standards:
        for sop in std.sops:
            candidates = sorted(matched.get((std.key, sop.id), []),
                                key=lambda item: (tuple(-r for r in item[0].rank), item[1].path))
            findings.append(_finding(std.key, sop, candidates, today, review_cycle_months,
                                     names.get((std.key, sop.id))))
    return DeskReview(str(folder), today, len(documents), unreadable, unrecognised, findings)


def _finding(standard: str, sop: SopDefinition, candidates: list[tuple[Recognition, Document]], today: dt.date,
             review_cycle_months: int, names: SopNames | None = None) -> SopFinding:
    """What the desk review concludes of one SOP from the documents recognised as it (the best one first)."""
    language = current_language()
    shown = {section: by_language[language] for section, by_language in names.sections.items()
             if language in by_language} if names else {}
    if not candidates:
        return SopFinding(sop.id, sop.title, standard, None, [], [], list(sop.required_sections), None, None, False,
                          "missing", ["missing"], section_names=shown)
    chosen, doc = candidates[0]
    fields = control_fields(doc)
    check = sections(doc, names.with_sections(sop) if names else sop,
                     has_control_fields=any(v.strip() for v in fields.values()))
    md = metadata(doc, fields)
    due = md.next_review or (add_months(md.effective, review_cycle_months) if md.effective else None)
    overdue = due is not None and due < today
    states = [name for name, applies in (("incomplete", bool(check.missing or check.empty)),
                                         ("draft", not md.approved), ("overdue", overdue),
                                         ("unknown-dates", due is None)) if applies] or ["current"]
    return SopFinding(sop.id, sop.title, standard, doc.path, [d.path for _, d in candidates[1:]], check.present,
                      check.missing, md, due, overdue, states[0], states, chosen.confidence, chosen.why,
                      check.empty, chosen.reasons, shown)


def _read_all(paths: list[Path], progress, workers: int) -> list[Document]:
    if workers > 1 and len(paths) >= 40:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
        if context is not None:
            out: list[Document] = []
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                for n, doc in enumerate(pool.map(read_document, paths, chunksize=8), start=1):
                    out.append(doc)
                    if progress:
                        progress(n, len(paths))
            return out
    out = []
    for n, path in enumerate(paths, start=1):
        out.append(read_document(path))
        if progress:
            progress(n, len(paths))
    return out


def desk_review(workspace, folder: Path, *, today: dt.date, actor: str, audit_id: str | None = None,
                progress: Callable[[int, int], None] | None = None, workers: int = 1) -> tuple[DeskReview, int]:
    """`docs check` and the TUI's desk review: the folder against the SOPs of the workspace's standards (of the
    audit's standard alone when an audit is named, its results then attached to it as evidence), with the
    review cycle of the institution profile. Returns the review and the number of evidence entries attached."""
    from qms_audit.services.profile import maybe_profile
    from qms_audit.services.standards import StandardLibrary

    library = StandardLibrary(workspace)
    standards = [item.standard for item in library.load_all() if item.standard and item.standard.sops]
    opened = None
    if audit_id:
        from qms_audit.services.auditing import open_audit

        opened = open_audit(workspace, audit_id, actor=actor)
        standards = [s for s in standards if s.key == opened.standard.key] or standards
    profile = maybe_profile(workspace)
    review = review_folder(folder, standards, today=today,
                           review_cycle_months=profile.review_cycle_months if profile else 24, progress=progress,
                           workers=workers, names=translated_names(library, standards))
    return review, attach_to_audit(opened, review, actor=actor) if opened is not None else 0


def attach_to_audit(opened, review: DeskReview, *, actor: str) -> int:
    """Add each SOP's desk-review result as documented-plan evidence to the requirements relying on it.
    Ratings are never touched; a result already attached is not attached again."""
    from qms_audit.model.audit import EvidenceKind
    from qms_audit.model.common import Phase
    from qms_audit.services.auditing import add_evidence

    added = 0
    for finding in review.sops:
        if finding.standard != opened.standard.key:
            continue
        text = f"Desk review of {review.folder} on {review.reviewed_on.isoformat()}: {finding.summary()}"
        for req in opened.standard.requirements_for_sop(finding.sop_id):
            if not opened.in_scope(req.ref):
                continue
            existing = {e.text for e in opened.snapshot.result(req.ref).evidence}
            if text in existing:
                continue
            add_evidence(opened, req.ref, phase=Phase.PLAN, kind=EvidenceKind.DOCUMENT, text=text, actor=actor,
                         reference=finding.document, source="desk-review")
            added += 1
    return added
