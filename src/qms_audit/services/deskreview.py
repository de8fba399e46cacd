"""Desk review: which of the SOPs the standards ask for does the institution have, and in what state?

Documents (.docx, .md, .pdf) are read without running anything in them: a .docx is checked like every
received Office file (size, zip bomb, DTD, encryption) and its XML parsed with entities off; a PDF's text is
read with PDFium (pypdfium2), page by page, up to a bound. A document that cannot be read is reported and
skipped.
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


@dataclass
class Metadata:
    version: str | None = None
    approved_by: str | None = None
    approved: bool = False
    status: str | None = None
    effective: dt.date | None = None
    next_review: dt.date | None = None


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

    def summary(self) -> str:
        if self.document is None:
            return f"no document recognised as {self.sop_id} {self.title}"
        md = self.metadata or Metadata()
        parts = [f"'{self.document}' recognised as {self.sop_id}"]
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
        else:
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
        heading_styles: set[str] = set()
        if "word/styles.xml" in names:
            styles = etree.fromstring(zf.read("word/styles.xml"), parser)
            for style in styles.iter(f"{W}style"):
                name = style.find(f"{W}name")
                label = (name.get(f"{W}val") if name is not None else "") or ""
                if label.lower().startswith(("heading", "title")):
                    heading_styles.add(style.get(f"{W}styleId") or "")
        lines, headings = [], []
        for p in body.iter(f"{W}p"):
            text = "".join(t.text or "" for t in p.iter(f"{W}t"))
            if not text.strip():
                continue
            lines.append(text)
            style = p.find(f"{W}pPr/{W}pStyle")
            if style is not None and style.get(f"{W}val") in heading_styles:
                headings.append(text.strip())
        # tables kept as rows of cells (document control is read from them cell by cell), and also as
        # "cell | cell" lines for recognising the SOP and its sections
        tables = []
        for table in body.iter(f"{W}tbl"):
            rows = [[" ".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in c.iter(f"{W}p")).strip()
                     for c in row.iter(f"{W}tc")] for row in table.iter(f"{W}tr")]
            tables.append(rows)
            lines.extend(" | ".join(cells) for cells in rows)
    return Document(str(path), "docx", "\n".join(lines), headings, tables=tables)


def read_markdown(path: Path) -> Document:
    text = decode_text(read_bytes_bounded(path, max_bytes=MAX_DOCUMENT_BYTES, what="document"), shown=path.name)
    headings = [re.sub(r"^#+\s*", "", line).strip() for line in text.splitlines() if line.startswith("#")]
    return Document(str(path), "md", text, headings, tables=markdown_tables(text))


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
    headings = [line.strip() for line in text.splitlines()
                if re.match(r"^\s*\d+(\.\d+)*\.?\s+\S", line) and len(line.strip()) < 90]
    return Document(str(path), "pdf", text, headings)


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


# words of an SOP's title too general to tell one SOP from another
_GENERIC_TITLE_WORDS = frozenset({"micro", "credential", "procedure", "sop", "standard", "operating", "mc", "to",
                                  "in", "on", "with", "by"})


@dataclass
class Recognition:
    """Why a document was taken for an SOP, and how sure that is: "high" when its id or its title heads the
    document, "medium" when the title's distinctive words head it and its keywords are in it."""

    sop: SopDefinition
    confidence: str
    why: str
    rank: tuple[int, int, int]


def _title_area(document: Document) -> str:
    """What heads a document: its first lines (up to three) before its first section heading."""
    sections = {h.strip() for h in document.headings[1:]}
    lines: list[str] = []
    for line in document.text.splitlines():
        text = line.strip()
        if not text:
            continue
        if lines and (text.startswith("##") or re.match(r"^\d+(\.\d+)*\.?\s+\S", text)
                      or text.lstrip("# ") in sections):
            break
        lines.append(text.lstrip("# "))
        if len(lines) == 3:
            break
    return " ".join(lines)


def recognise_document(document: Document, sops: list[SopDefinition]) -> Recognition | None:
    """The SOP a document is, or None: an SOP is named at the top of its document (its id or its title, or the
    words that set its title apart); keywords alone, or another SOP's id cited in the text, do not make a
    document that SOP (a quality manual that mentions internal audits is not the audit SOP)."""
    text = _norm(document.text)
    # the file's name is part of what heads it: templates often carry their title only there
    top_text = Path(document.path).stem + " " + _title_area(document)
    top = _norm(top_text)
    top_words = _words(top_text)
    best: Recognition | None = None
    for sop in sops:
        keywords = sum(1 for k in sop.keywords if _norm(k) in text)
        distinctive = _words(sop.title) - _GENERIC_TITLE_WORDS
        reasons = []
        if _norm(sop.id) in top:
            reasons.append(f"its id {sop.id} at the top")
        if _norm(sop.title) in top:
            reasons.append("its title at the top")
        if reasons:
            confidence = "high"
        elif distinctive and distinctive <= top_words and keywords >= 2:
            confidence = "medium"
            reasons.append(f"the words of its title ({', '.join(sorted(distinctive))}) at the top")
        else:
            continue
        reasons.append(f"{keywords} of its {len(sop.keywords)} keywords")
        rank = (2 if confidence == "high" else 1, len(reasons), keywords)
        if best is None or rank > best.rank:
            best = Recognition(sop, confidence, "; ".join(reasons), rank)
    return best


def _words(text: str) -> frozenset[str]:
    """A heading's words as compared: numbering, case, punctuation and "&" set aside, plurals as singulars."""
    text = re.sub(r"^\s*\d+(\.\d+)*\.?\s*", "", text).lower().replace("&", " and ")
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                     for w in re.findall(r"[a-z0-9]+", text) if w not in ("and", "of", "the", "for", "a", "an"))


def sections(document: Document, sop: SopDefinition) -> tuple[list[str], list[str]]:
    """The SOP's required sections the document has, and those it lacks. A heading holds a section when it has
    all of the section's words ("Roles and responsibilities" holds "Responsibilities", "1. Purpose and
    objectives" holds "Purpose"); a short line of text only when it is the section's title itself."""
    headings = [_words(h) for h in document.headings]
    lines = {_words(line) for line in document.text.splitlines() if len(line) < 90}
    present: list[str] = []
    missing: list[str] = []
    for section in sop.required_sections:
        key = _words(section)
        found = bool(key) and (key in lines or any(key <= heading for heading in headings))
        (present if found else missing).append(section)
    return present, missing


_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                          "nov", "dec"))}
_DATE_PATTERNS = [
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), lambda m: dt.date(int(m[1]), int(m[2]), int(m[3]))),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), lambda m: dt.date(int(m[3]), int(m[2]), int(m[1]))),
    (re.compile(r"(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{4})", re.I),
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
    "version": ("version", "version no", "version number", "revision", "rev", "issue"),
    "approved_by": ("approved by", "approver", "approval", "approved", "authorised by", "authorized by"),
    "status": ("document status", "status"),
    "effective": ("effective date", "effective from", "date of effect", "effective"),
    "next_review": ("next review date", "next review", "review date", "review due"),
}
_FIELD_OF = {label: name for name, labels in _LABELS.items() for label in labels}
# labels that a PDF's table cells may give separated by spaces only ("Version 2.0"): none that starts a sentence
_SPACED = ("version", "revision", "approved by", "document status", "status", "effective date", "next review date",
           "next review", "review date")
_CONTROL_HEADINGS = ("document control", "document information", "document details", "document history",
                     "revision history", "version history", "change history", "approval", "approvals", "sign off",
                     "signoff", "document approval")


def _label(text: str) -> str | None:
    """The field a label cell or a label before a colon names, or None."""
    return _FIELD_OF.get(re.sub(r"\s+", " ", re.sub(r"[^a-z. ]+", " ", text.lower())).strip(" ."))


def _from_tables(tables: list[list[list[str]]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for rows in tables:
        for index, cells in enumerate(rows):
            labels = [_label(c) for c in cells]
            if sum(1 for name in labels if name) >= 2 and index + 1 < len(rows):
                # a row of labels over a row of values
                values = rows[index + 1]
                for name, value in zip(labels, values, strict=False):
                    if name:
                        found.setdefault(name, value.strip())
                continue
            if len(cells) >= 2 and labels[0] and not any(labels[1:]):
                found.setdefault(labels[0], cells[1].strip())  # label and value side by side
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
    """The document-control fields as written, a field given once: tables first, then front matter, then the
    document-control lines. An empty value stays empty (an approval row left blank is no approval)."""
    found = _from_tables(document.tables)
    for name, value in [*_front_matter(document.text).items(),
                        *_from_lines(_control_lines(document), spaced=document.kind == "pdf").items()]:
        found.setdefault(name, value)
    return found


_NOT_AN_APPROVAL = re.compile(r"(?i)^(n/?a|none|-+|tbc|tbd|to be \w+|pending.*|not (yet )?approved.*|draft.*|"
                              r"\[.*\]|<.*>|_+|\.+|signature|sign(ed)?|name)$")


def metadata(document: Document) -> Metadata:
    fields = control_fields(document)
    md = Metadata()
    found = re.match(r"v?(\d+(\.\d+)*)\b", fields.get("version", ""), re.I)
    md.version = found.group(1) if found else None
    md.status = fields.get("status") or None
    approver = fields.get("approved_by", "").strip()
    if approver and not _NOT_AN_APPROVAL.match(approver):
        md.approved_by = approver[:80]
        md.approved = not (md.status and re.search(r"(?i)draft|pending|not approved|under review", md.status))
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


def review_folder(folder: Path, standards: list[Standard], *, today: dt.date, review_cycle_months: int = 24,
                  progress: Callable[[int, int], None] | None = None, workers: int = 1) -> DeskReview:
    if not folder.is_dir():
        from qms_audit.infra.errors import NotFound

        raise NotFound(f"{folder}: no such folder")
    documents = _read_all(_document_paths(folder), progress, workers)
    sops = [s for std in standards for s in std.sops]
    sop_standard = {s.id: std for std in standards for s in std.sops}
    matched: dict[str, list[tuple[Recognition, Document]]] = {}
    unreadable, unrecognised = [], []
    for doc in documents:
        rel = os.path.relpath(doc.path, folder)
        doc.path = rel
        if doc.error:
            unreadable.append((rel, doc.error))
            continue
        found = recognise_document(doc, sops)
        if found is None:
            unrecognised.append(rel)
        else:
            matched.setdefault(found.sop.id, []).append((found, doc))
    findings = []
    for sop in sops:
        candidates = sorted(matched.get(sop.id, []), key=lambda item: (tuple(-r for r in item[0].rank),
                                                                        item[1].path))
        if not candidates:
            findings.append(SopFinding(sop.id, sop.title, sop_standard[sop.id].key, None, [], [],
                                       list(sop.required_sections), None, None, False, "missing", ["missing"]))
            continue
        doc = candidates[0][1]
        present, missing = sections(doc, sop)
        md = metadata(doc)
        due = md.next_review or (add_months(md.effective, review_cycle_months) if md.effective else None)
        overdue = due is not None and due < today
        states = [name for name, applies in (("incomplete", bool(missing)), ("draft", not md.approved),
                                             ("overdue", overdue), ("unknown-dates", due is None)) if applies]
        chosen = candidates[0][0]
        findings.append(SopFinding(sop.id, sop.title, sop_standard[sop.id].key, doc.path,
                                   [d.path for _, d in candidates[1:]], present, missing, md, due, overdue,
                                   (states or ["current"])[0], states or ["current"], chosen.confidence,
                                   chosen.why))
    return DeskReview(str(folder), today, len(documents), unreadable, unrecognised, findings)


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
