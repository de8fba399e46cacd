"""The language catalogues: extract the words people read from the code, bring each catalogue up to date, compile.

    python scripts/catalogues.py update   # `make catalogues`: extract, update id and ms, compile
    python scripts/catalogues.py check    # list every word untranslated, stale, fuzzy or with other fields

A new word comes into every catalogue empty; a word gone from the code goes out of them. Translating is then
filling the empty `msgstr` entries of src/qms_audit/locale/<code>/LC_MESSAGES/qms_audit.po. The catalogues are
written sorted and without source locations, so that two changes to the code rarely touch the same lines.
tests/test_catalogues.py runs `problems()`: the suite fails while any word is untranslated or stale.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "qms_audit"
LOCALE = PACKAGE / "locale"
DOMAIN = "qms_audit"
TRANSLATED = ("id", "ms")
# `NP_(context, words)` marks words with a context in a table, as `N_` does without one (infra/i18n.py)
KEYWORDS = {**DEFAULT_KEYWORDS, "NP_": ((1, "c"), 2)}
FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)?(?:![rsa])?(?::[^{}]*)?\}")


def extract() -> Catalog:
    """Every word marked in the code, as a catalogue template."""
    template = Catalog(project="qms-audit", domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def po_path(code: str) -> Path:
    return LOCALE / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(code: str) -> Catalog:
    path = po_path(code)
    if not path.is_file():
        return Catalog(locale=code, domain=DOMAIN, project="qms-audit", fuzzy=False)
    with path.open("rb") as source:
        return read_po(source, locale=code, domain=DOMAIN)


def write(code: str, catalogue: Catalog) -> None:
    path = po_path(code)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalogue, width=120, no_location=True, omit_header=False, sort_output=True,
             ignore_obsolete=True, include_previous=False)
    temporary = path.with_suffix(".po.tmp")
    temporary.write_bytes(buffer.getvalue())
    temporary.replace(path)
    with path.with_suffix(".mo").open("wb") as compiled:
        write_mo(compiled, catalogue)


def update() -> None:
    template = extract()
    for code in TRANSLATED:
        catalogue = read(code)
        created = catalogue.creation_date
        catalogue.update(template, no_fuzzy_matching=True, update_header_comment=False)
        # The catalogue's dates stay as they were: extracting again is no change to it.
        catalogue.creation_date = created
        catalogue.obsolete.clear()
        write(code, catalogue)
        print(f"{_display(po_path(code))}: {len(catalogue)} words, {untranslated_count(catalogue)} to translate")


def untranslated_count(catalogue: Catalog) -> int:
    return sum(1 for message in catalogue if message.id and not _translated(message))


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return all(strings) and not message.fuzzy


def _ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def _fields(text: str) -> set[str]:
    return {match.group(0).split(":")[0].split("!")[0] for match in FIELD.finditer(text)}


def problems() -> list[str]:
    """One line per word of the code missing, untranslated or fuzzy in a catalogue, per catalogue word gone from
    the code, and per translation whose {fields} differ from its English."""
    template = extract()
    wanted = {(m.context, _ids(m)[0]) for m in template if m.id}
    lines: list[str] = []
    for code in TRANSLATED:
        where = _display(po_path(code))
        catalogue = read(code)
        have = {(m.context, _ids(m)[0]): m for m in catalogue if m.id}
        for key in sorted(wanted - set(have), key=lambda k: (k[1], k[0] or "")):
            lines.append(f"{where}: missing {_show(key)} (run `make catalogues`)")
        for key in sorted(set(have) - wanted, key=lambda k: (k[1], k[0] or "")):
            lines.append(f"{where}: stale {_show(key)}: no longer in the code (run `make catalogues`)")
        for key, message in sorted(have.items(), key=lambda item: (item[0][1], item[0][0] or "")):
            if key not in wanted:
                continue
            if not _translated(message):
                lines.append(f"{where}: untranslated {_show(key)}")
                continue
            strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
            english = _fields(" ".join(_ids(message)))
            for text in strings:
                if _fields(text) != english:
                    lines.append(f"{where}: {_show(key)}: fields {sorted(_fields(text))} differ from the English "
                                 f"{sorted(english)}")
    return lines


def _display(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _show(key: tuple[str | None, str]) -> str:
    context, text = key
    return (f"[{context}] " if context else "") + repr(text)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "update"
    if command == "update":
        update()
        return 0
    if command == "check":
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
