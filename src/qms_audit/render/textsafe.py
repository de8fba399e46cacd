"""Text on its way into a document or a spreadsheet: nothing the file format cannot hold, nothing that
a spreadsheet would run as a formula."""

from __future__ import annotations

import re

# Characters XML 1.0 cannot carry (control characters other than tab, newline and carriage return, the two
# non-characters and unpaired surrogates): a record holding one must not produce a corrupt document.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean(value: object) -> str:
    if value is None:
        return ""
    return _ILLEGAL_XML.sub("", str(value))


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def escape_xml(text: str) -> str:
    """Escape text (already cleaned of XML-illegal characters) for element content or a quoted attribute.
    The checks first: most cell and paragraph texts need no replacement, and this runs for every one."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    return text
