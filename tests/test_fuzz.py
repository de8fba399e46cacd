"""Every file the tool reads, made hostile: a corpus of broken and malicious inputs, and property-based mutations.

The promise under test: a bad file gets a clear `error:` line (exit 2, or 3 for storage trouble), never a
traceback, an internal error, a hang or a memory blow-up, and nothing is half-written. Bombs run in a real
process with a memory and time limit, so that a failure shows as a failed test rather than a dead runner.
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import hostile
from tests.conftest import REPO, SAMPLES, Result

DEMO = "demo-2026-foe"
MEMORY_LIMIT = 1536 * 1024 * 1024
TIME_LIMIT = 60


def run_limited(args: list[str], *, cwd: Path) -> Result:
    """`qms-audit ARGS` in a process that may use at most 1.5 GiB and 60 s."""
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = {**os.environ, "QMS_AUDIT_NOW": "2026-11-28T10:00:00Z"}
    proc = subprocess.run([sys.executable, "-m", "qms_audit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIME_LIMIT, preexec_fn=limits, check=False)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_clear_refusal(result: Result, *, mentions: str | None = None, codes: tuple[int, ...] = (2, 3)) -> None:
    assert result.code in codes, (result.code, result.out[-500:], result.err[-2000:])
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err[-2000:]
    lines = result.err_lines
    assert lines and all(line.startswith("error: ") for line in lines), result.err
    assert len(lines) <= 25, "one line per problem, not a dump"
    if mentions:
        assert mentions in result.err, result.err


@pytest.fixture
def ws(demo_workspace) -> Path:
    return demo_workspace


def valid_xlsx(tmp_path: Path, cli) -> bytes:
    path = tmp_path / "valid-checklist.xlsx"
    assert cli("-w", tmp_path / "demo-ws", "checklist", "export", DEMO, "-o", path).code == 0
    return path.read_bytes()


def valid_docx() -> bytes:
    return (SAMPLES / "desk-review" / "UTN-QAU-SOP-06 Risk management v1.2.docx").read_bytes()


# -- the corpus ------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One hostile file: where it goes, what it holds, which command reads it and what the error must name."""

    name: str
    target: str  # path inside the workspace
    make: Callable[[bytes, bytes], bytes | str]  # (valid xlsx, valid docx) -> content
    command: list[str]
    mentions: str | None = None
    limited: bool = False  # run in a separate, memory-limited process


YAML_ATTACKS = [
    ("binary", lambda x, d: hostile.BINARY, None),
    ("empty", lambda x, d: b"", None),
    ("not-utf8", lambda x, d: hostile.NOT_UTF8, "UTF-8"),
    ("billion-laughs", lambda x, d: hostile.BILLION_LAUGHS_YAML, "anchors and aliases"),
    ("deep-nesting", lambda x, d: hostile.DEEP_YAML, "nesting"),
    ("python-tag", lambda x, d: hostile.PYTHON_TAG_YAML, "python/object"),
    ("duplicate-keys", lambda x, d: hostile.DUPLICATE_KEYS_YAML, "name"),
    ("huge", lambda x, d: "# " + "x" * (6 * hostile.MIB), "limit"),
    ("a-list", lambda x, d: "- just\n- a list\n", "mapping"),
    ("tabs", lambda x, d: "format: 1\n\tname: x\n", None),
]
YAML_FILES = [
    ("standard", "standards/bad.yaml", ["standards", "validate", "{ws}/standards/bad.yaml"]),
    ("profile", "institution.yaml", ["profile", "validate"]),
    ("programme", "programme.yaml", ["programme", "show"]),
    ("keymap", "keymap.yaml", ["tui"]),
    ("review-minutes", "minutes.yaml", ["review", "record", "--file", "{ws}/minutes.yaml"]),
]
JSON_ATTACKS = [
    ("truncated", lambda valid: valid[: len(valid) // 2], None),
    ("binary", lambda valid: hostile.BINARY, None),
    ("deep", lambda valid: hostile.DEEP_JSON, None),
    ("not-an-object", lambda valid: b"[1, 2, 3]", None),
    ("nan", lambda valid: valid.replace(b'"format": 1', b'"format": NaN', 1), None),
    ("unknown-field", lambda valid: valid.replace(b"{", b'{"smuggled": true, ', 1), "smuggled"),
    ("huge", lambda valid: b'{"x": "' + b"a" * (21 * hostile.MIB) + b'"}', "limit"),
]
JSON_FILES = [
    ("audit record", f"audits/{DEMO}/audit.json", ["score", DEMO]),
    ("clause results", f"audits/{DEMO}/results/clause-08.json", ["score", DEMO]),
    ("finding", f"audits/{DEMO}/findings/NC-2026-FOE-801.json", ["nc", "list"]),
    ("review record", "reviews/2026-01-20.json", ["review", "list"]),
]
OFFICE_ATTACKS = [
    ("not-a-zip", lambda x: hostile.BINARY, "not a valid Office file", False),
    ("empty", lambda x: b"", "empty", False),
    ("truncated", hostile.truncated, None, False),
    ("encrypted", lambda x: hostile.OLE_HEADER, "password-protected", False),
    ("zip-bomb", lambda x: hostile.zip_bomb(x, "xl/worksheets/sheet1.xml"), "zip bomb", True),
    ("billion-laughs", lambda x: hostile.with_part(x, "xl/worksheets/sheet1.xml", hostile.BILLION_LAUGHS_XML),
     "DTD", True),
    ("padded-entities", lambda x: hostile.with_part(x, "xl/worksheets/sheet1.xml", hostile.PADDED_ENTITY_XML),
     "DTD", True),
    ("external-entity", lambda x: hostile.with_part(x, "xl/sharedStrings.xml", hostile.EXTERNAL_ENTITY_XML),
     "DTD", True),
    ("too-big", lambda x: x + b"\0" * (26 * hostile.MIB), "limit", True),
    ("no-workbook", lambda x: hostile.package({"hello.txt": b"hi"}), None, False),
]
OFFICE_FILES = [
    ("checklist", "in/checklist.xlsx", ["checklist", "import", DEMO, "{ws}/in/checklist.xlsx", "--dry-run"]),
    ("catalogue", "in/catalogue.xlsx", ["credentials", "check", "{ws}/in/catalogue.xlsx"]),
]


def corpus() -> list[Case]:
    cases = []
    for kind, target, command in YAML_FILES:
        for attack, make, mentions in YAML_ATTACKS:
            limited = attack in ("billion-laughs", "deep-nesting", "huge")
            cases.append(Case(f"{kind}-{attack}", target, make, command,
                              mentions if kind != "keymap" or attack != "python-tag" else None, limited))
    for kind, target, command in OFFICE_FILES:
        for attack, make, mentions, limited in OFFICE_ATTACKS:
            cases.append(Case(f"{kind}-{attack}", target, lambda x, d, make=make: make(x), command,
                              mentions if not (kind == "catalogue" and attack == "no-workbook") else None, limited))
    template = ["report", DEMO, "--template", "{ws}/in/template.docx", "-o", "{ws}/out.docx"]
    for attack, make, mentions, limited in OFFICE_ATTACKS:
        if attack in ("no-workbook",):
            continue
        cases.append(Case(f"report-template-{attack}", "in/template.docx",
                          lambda x, d, attack=attack, make=make: _docx_attack(attack, d, make), template, mentions,
                          limited))
    cases.append(Case("catalogue-csv-binary", "in/catalogue.csv", lambda x, d: hostile.BINARY,
                      ["credentials", "check", "{ws}/in/catalogue.csv"]))
    cases.append(Case("catalogue-csv-huge", "in/catalogue.csv", lambda x, d: "a,b\n" * (3 * hostile.MIB),
                      ["credentials", "check", "{ws}/in/catalogue.csv"], "limit", True))
    cases.append(Case("catalogue-csv-too-many-rows", "in/catalogue.csv", lambda x, d: "title\n" + "x\n" * 20_500,
                      ["credentials", "check", "{ws}/in/catalogue.csv"], "rows"))
    return cases


def _docx_attack(attack: str, docx: bytes, make: Callable[[bytes], bytes]) -> bytes:
    """The Office attacks, aimed at the parts of a Word document instead of a workbook."""
    if attack == "zip-bomb":
        return hostile.zip_bomb(docx, "word/document.xml")
    if attack in ("billion-laughs", "padded-entities"):
        xml = hostile.BILLION_LAUGHS_XML if attack == "billion-laughs" else hostile.PADDED_ENTITY_XML
        return hostile.with_part(docx, "word/document.xml", xml)
    if attack == "external-entity":
        return hostile.with_part(docx, "word/styles.xml", hostile.EXTERNAL_ENTITY_XML)
    return make(docx)


CORPUS = corpus()


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_hostile_file_gets_a_clear_refusal(case: Case, cli, ws, tmp_path):
    xlsx = valid_xlsx(tmp_path, cli) if "xlsx" in case.target or "template" in case.target else b""
    content = case.make(xlsx, valid_docx())
    path = hostile.write(ws / case.target, content)
    (ws / "reviews").mkdir(exist_ok=True)
    before = {p: p.stat().st_mtime_ns for p in (ws / "audits").rglob("*") if p.is_file()}
    command = [part.replace("{ws}", str(ws)) for part in case.command]
    result = run_limited(["-w", str(ws), *command], cwd=ws) if case.limited else cli("-w", ws, *command)
    assert_clear_refusal(result, mentions=case.mentions)
    assert path.name in result.err or "keymap" in result.err, result.err
    after = {p: p.stat().st_mtime_ns for p in (ws / "audits").rglob("*") if p.is_file()}
    assert after == before, "a refused input changed the audit records"
    assert not (ws / "out.docx").exists()


@pytest.mark.parametrize(("kind", "target", "command"), JSON_FILES, ids=[f[0] for f in JSON_FILES])
@pytest.mark.parametrize(("attack", "make", "mentions"), JSON_ATTACKS, ids=[a[0] for a in JSON_ATTACKS])
def test_damaged_records_are_named_with_their_file(kind, target, command, attack, make, mentions, cli, ws):
    if kind == "review record":
        assert cli("-w", ws, "review", "record", "--held-on", "2026-01-20", "--period", "2025", "--chair", "C",
                   "--decision", "other: kept").code == 0
    path = ws / target
    path.write_bytes(make(path.read_bytes()))
    result = (run_limited(["-w", str(ws), *command], cwd=ws) if attack in ("deep", "huge")
              else cli("-w", ws, *command))
    assert_clear_refusal(result, mentions=mentions)
    assert path.name in result.err


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    """The bomb check reads the zip directory only: 40 MiB of XML is never inflated."""
    import time

    from qms_audit.infra.errors import InvalidFile
    from qms_audit.infra.office import check_office_bytes

    bomb = hostile.zip_bomb(hostile.package({"[Content_Types].xml": b"<Types/>"}), "word/document.xml",
                            size=200 * hostile.MIB)
    assert len(bomb) < 2 * hostile.MIB
    start = time.perf_counter()
    with pytest.raises(InvalidFile, match="zip bomb"):
        check_office_bytes(bomb, shown="bomb.docx")
    assert time.perf_counter() - start < 5  # generous; unpacking 200 MiB would also blow the memory limit


def test_desk_review_skips_hostile_documents_and_names_them(cli, ws, tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(SAMPLES / "desk-review", folder)
    docx = valid_docx()
    hostile.write(folder / "bomb.docx", hostile.zip_bomb(docx, "word/document.xml"))
    hostile.write(folder / "laughs.docx", hostile.with_part(docx, "word/document.xml", hostile.BILLION_LAUGHS_XML))
    hostile.write(folder / "padded.docx", hostile.with_part(docx, "word/document.xml", hostile.PADDED_ENTITY_XML))
    hostile.write(folder / "xxe.docx", hostile.with_part(docx, "word/document.xml", hostile.EXTERNAL_ENTITY_XML))
    hostile.write(folder / "image.docx", hostile.docx_with_image(docx, hostile.huge_png()))
    hostile.write(folder / "encrypted.docx", hostile.OLE_HEADER)
    hostile.write(folder / "cut.docx", hostile.truncated(docx))
    hostile.write(folder / "binary.md", hostile.BINARY)
    hostile.write(folder / "big.md", "x" * (26 * hostile.MIB))
    hostile.write(folder / "fake.pdf", b"%PDF-1.7\n" + hostile.BINARY)
    result = run_limited(["-w", str(ws), "docs", "check", str(folder), "--json"], cwd=ws)
    assert result.code in (0, 1), result.err[-2000:]
    assert "Traceback" not in result.err
    review = json.loads(result.out)
    skipped = {item["file"]: item["reason"] for item in review["unreadable"]}
    for name in ("bomb.docx", "laughs.docx", "padded.docx", "xxe.docx", "encrypted.docx", "cut.docx", "binary.md",
                 "big.md", "fake.pdf"):
        assert name in skipped, (name, skipped)
        assert skipped[name]
    assert "passwd" not in result.out and "root:" not in result.out
    # the harmless document with a huge image is read for its text; the image is never decoded
    assert "image.docx" not in skipped


def test_evidence_files_over_the_limit_are_refused(cli, ws):
    """(Paths that leave the audit folder, absolute or through a symbolic link: tests/test_integrity.py.)"""
    big = ws / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(26 * hostile.MIB)  # sparse: cheap to make, too big to keep
    before = (ws / "audits" / DEMO / "results" / "clause-08.json").read_bytes()
    result = cli("-w", ws, "audit", "evidence", "add", DEMO, "8.1.a", "--phase", "D", "--kind", "record",
                 "--text", "big", "--file", big)
    assert_clear_refusal(result, mentions="limited to 25.0 MB")
    assert (ws / "audits" / DEMO / "results" / "clause-08.json").read_bytes() == before


# -- property-based mutations ----------------------------------------------------------------------------


def mutate(text: str, data: st.DataObject) -> str:
    """Delete, duplicate, swap or corrupt lines, and cut the text short, as a broken edit or disk would."""
    lines = text.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["delete", "duplicate", "swap", "garble", "indent", "truncate", "value"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "garble":
            junk = data.draw(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
                                     min_size=1, max_size=12))
            at = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + junk + lines[i][at:]
        elif op == "indent":
            lines[i] = "  " + lines[i]
        elif op == "value":
            key, sep, _ = lines[i].partition(":")
            value = data.draw(st.sampled_from(["", "null", "[]", "{}", "-1", "1e999", "'x'", "2026-13-45", "&a",
                                               "*a", "!!binary AAAA", "~", "yes", "0x10", "\"\\u0000\""]))
            lines[i] = f"{key}{sep or ':'} {value}\n"
        elif op == "truncate":
            lines = lines[:i]
    return "".join(lines)


# `make stress` raises the number of examples (QMS_FUZZ_EXAMPLES) for a longer search
EXAMPLES = int(os.environ.get("QMS_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


def _ok_or_refused(result: Result) -> None:
    assert result.code in (0, 1, 2), (result.code, result.err[-1500:])
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err[-1500:]
    if result.code == 2:
        assert all(line.startswith("error: ") for line in result.err_lines), result.err


@FUZZ
@given(data=st.data())
def test_mutated_standards_load_or_are_refused_clearly(cli, workspace, data):
    text = mutate((REPO / "standards" / "mc-readiness.yaml").read_text(encoding="utf-8"), data)
    (workspace / "standards" / "mutant.yaml").write_text(text, encoding="utf-8")
    _ok_or_refused(cli("-w", workspace, "standards", "validate", workspace / "standards" / "mutant.yaml"))


@FUZZ
@given(data=st.data())
def test_mutated_profiles_and_programmes(cli, ws, data):
    which = data.draw(st.sampled_from([("institution.yaml", ["profile", "validate"]),
                                       ("programme.yaml", ["programme", "show"])]))
    path = ws / which[0]
    original = (REPO / which[0]).read_text(encoding="utf-8")
    path.write_text(mutate(original, data), encoding="utf-8")
    _ok_or_refused(cli("-w", ws, *which[1]))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)


def _replace_somewhere(value, data: st.DataObject, depth: int = 0):
    """Replace one randomly chosen subtree of a JSON document with a random value."""
    if (depth > 0 and data.draw(st.integers(0, 3)) == 0) or not isinstance(value, dict | list) or not value:
        return data.draw(json_values)
    if isinstance(value, dict):
        key = data.draw(st.sampled_from(sorted(value)))
        return {**value, key: _replace_somewhere(value[key], data, depth + 1)}
    i = data.draw(st.integers(0, len(value) - 1))
    return [*value[:i], _replace_somewhere(value[i], data, depth + 1), *value[i + 1:]]


@FUZZ
@given(data=st.data())
def test_mutated_audit_records_score_or_are_refused_clearly(cli, ws, data):
    target = data.draw(st.sampled_from([f"audits/{DEMO}/audit.json", f"audits/{DEMO}/results/clause-08.json",
                                        f"audits/{DEMO}/findings/NC-2026-FOE-801.json"]))
    path = ws / target
    original = json.loads((REPO / target).read_text(encoding="utf-8"))
    path.write_text(json.dumps(_replace_somewhere(original, data)), encoding="utf-8")
    _ok_or_refused(cli("-w", ws, "score", DEMO))
    path.write_text(json.dumps(original), encoding="utf-8")


@FUZZ
@given(rows=st.lists(st.lists(st.text(max_size=20) | st.sampled_from(["=1+1", "@SUM(A1)", "+cmd", "-2", "1e9",
                                                                     "EQF 9", "6 ECTS", "2026-02-30", ""]),
                              min_size=0, max_size=8), max_size=12),
       header=st.sampled_from([["title", "ects", "eqf level", "provider", "learning outcomes"],
                               ["Title", "Workload", "Level", "Awarding body"], ["x"], []]))
def test_random_catalogues(cli, ws, rows, header):
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path = ws / "fuzz-catalogue.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    _ok_or_refused(cli("-w", ws, "credentials", "check", path))


@settings(FUZZ, max_examples=max(10, EXAMPLES * 5 // 8))
@given(data=st.data())
def test_edited_checklists_import_or_are_refused_clearly(cli, ws, tmp_path_factory, data):
    """An auditor's spreadsheet with random cells changed: a dry-run import plans it or names the cell."""
    from openpyxl import load_workbook

    folder = tmp_path_factory.mktemp("checklist")
    path = folder / "c.xlsx"
    assert cli("-w", ws, "checklist", "export", DEMO, "-o", path).code == 0
    wb = load_workbook(path)
    sheet = wb["Checklist"]
    for _ in range(data.draw(st.integers(1, 5))):
        row = data.draw(st.integers(1, min(sheet.max_row, 90)))
        col = data.draw(st.integers(1, sheet.max_column))
        value = data.draw(st.none() | st.integers(-5, 10) | st.floats(allow_nan=False, allow_infinity=False)
                          | st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs")), max_size=40)
                          | st.sampled_from(["=HYPERLINK(\"x\")", "major", "Minor NC", "D",
                                                                    "x", "N/A"]))
        sheet.cell(row=row, column=col).value = value
    if data.draw(st.booleans()):
        sheet.title = data.draw(st.sampled_from(["Checklist ", "Sheet1", "Checklist"]))
    wb.save(path)
    before = (ws / "audits" / DEMO / "results" / "clause-08.json").read_bytes()
    _ok_or_refused(cli("-w", ws, "checklist", "import", DEMO, path, "--dry-run"))
    assert (ws / "audits" / DEMO / "results" / "clause-08.json").read_bytes() == before


@FUZZ
@given(minutes=st.dictionaries(st.sampled_from(["held_on", "period_from", "period_to", "chair", "decisions",
                                                "actions", "attendees", "issues", "title", "extra"]),
                               json_values, max_size=8))
def test_random_review_minutes(cli, ws, minutes):
    import yaml

    path = ws / "minutes.yaml"
    path.write_text(yaml.safe_dump(minutes), encoding="utf-8")
    before = sorted(p.name for p in (ws / "reviews").glob("*.json")) if (ws / "reviews").is_dir() else []
    result = cli("-w", ws, "review", "record", "--file", path)
    _ok_or_refused(result)
    if result.code != 0:
        after = sorted(p.name for p in (ws / "reviews").glob("*.json")) if (ws / "reviews").is_dir() else []
        assert after == before
