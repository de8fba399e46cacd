"""Every malformed or invalid standard gets one located line per problem, exit code 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

MINIMAL = """\
format: 1
id: tiny
title: Tiny standard
version: "1"
source:
  citation: Written for the tests
sops:
  - id: SOP-ONE
    title: One procedure
    clause: "1"
    purpose: To have one.
    required_sections: [Purpose]
clauses:
  - number: "1"
    title: Only clause
    pdca: P
    requirements:
      - ref: 1.a
        title: First
        question: Is the first thing done?
        force: must
        pdca: P
        source_clause: "1"
        sop: SOP-ONE
        evidence: {plan: a plan, do: records, check: a review, act: a change}
"""


def write(tmp_path: Path, text: str | bytes, name: str = "tiny.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def validate(cli, path: Path):
    result = cli("standards", "validate", path)
    assert "Traceback" not in result.err + result.out
    return result


def test_minimal_standard_is_valid(cli, tmp_path):
    result = validate(cli, write(tmp_path, MINIMAL))
    assert result.code == 0, result.err
    assert "ok" in result.out and "1 requirements" in result.out


def test_bad_yaml_syntax_names_the_line(cli, tmp_path):
    path = write(tmp_path, MINIMAL.replace("title: Only clause", "title: [Only clause"))
    result = validate(cli, path)
    assert result.code == 2
    assert len(result.err_lines) == 1  # one line for the problem; the summary goes to stdout
    assert "1 of 1 file(s) invalid" in result.out
    assert "tiny.yaml:" in result.err_lines[0] and "YAML syntax error" in result.err_lines[0]


def test_unknown_key_gets_line_and_did_you_mean(cli, tmp_path):
    path = write(tmp_path, MINIMAL.replace("        force: must", "        forc: must"))
    result = validate(cli, path)
    assert result.code == 2
    line = MINIMAL.splitlines().index("        force: must") + 1
    errors = [e for e in result.err_lines if e.startswith("error:")]
    assert any(f"tiny.yaml:{line}:" in e and "unknown field 'forc'" in e and "did you mean 'force'" in e
               for e in errors), errors
    # the missing `force` is reported too, one line each
    assert any("clause 1, requirement 1.a, force: required field is missing" in e for e in errors), errors


def test_wrong_type_is_reported_with_its_field(cli, tmp_path):
    path = write(tmp_path, MINIMAL.replace("    pdca: P\n    requirements", "    pdca: [P]\n    requirements"))
    result = validate(cli, path)
    assert result.code == 2
    assert any("clause 1, pdca:" in e for e in result.err_lines), result.err_lines


def test_bad_enum_value(cli, tmp_path):
    path = write(tmp_path, MINIMAL.replace("force: must", "force: shall-maybe"))
    result = validate(cli, path)
    assert result.code == 2
    assert any("force" in e and "'must' or 'should'" in e for e in result.err_lines)


def test_duplicate_ref(cli, tmp_path):
    req = MINIMAL[MINIMAL.index("      - ref: 1.a"):]
    path = write(tmp_path, MINIMAL + req)
    result = validate(cli, path)
    assert result.code == 2
    assert any("duplicate requirement ref '1.a'" in e for e in result.err_lines)


def test_dangling_sop_reference_suggests_the_known_one(cli, tmp_path):
    path = write(tmp_path, MINIMAL.replace("        sop: SOP-ONE", "        sop: SOP-ONF"))
    result = validate(cli, path)
    assert result.code == 2
    line = MINIMAL.splitlines().index("        sop: SOP-ONE") + 1
    assert any(f"tiny.yaml:{line}:" in e and "unknown SOP 'SOP-ONF'" in e and "SOP-ONE" in e
               for e in result.err_lines), result.err_lines


def test_duplicate_key(cli, tmp_path):
    path = write(tmp_path, MINIMAL.replace('version: "1"', 'version: "1"\nversion: "2"'))
    result = validate(cli, path)
    assert result.code == 2
    assert any("duplicate key 'version'" in e for e in result.err_lines)


def test_empty_file(cli, tmp_path):
    result = validate(cli, write(tmp_path, ""))
    assert result.code == 2
    assert "file is empty" in result.err


def test_binary_file(cli, tmp_path):
    result = validate(cli, write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))))
    assert result.code == 2
    assert "binary content" in result.err


def test_fifty_megabyte_file_is_refused_without_reading_it(cli, tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.seek(50 * 1024 * 1024)
        fh.write(b"\n")
    result = validate(cli, path)
    assert result.code == 2
    assert "limited to 5.0 MB" in result.err


def test_billion_laughs_is_refused(cli, tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    result = validate(cli, write(tmp_path, "\n".join(lines) + "\n"))
    assert result.code == 2
    assert "expands to more than" in result.err


def test_python_object_tag_is_refused(cli, tmp_path):
    text = MINIMAL.replace("title: Tiny standard", 'title: !!python/object/apply:os.system ["echo pwned"]')
    result = validate(cli, write(tmp_path, text))
    assert result.code == 2
    assert "tag" in result.err and "not allowed" in result.err


def test_recursive_alias_is_refused(cli, tmp_path):
    result = validate(cli, write(tmp_path, "a: &x\n  - *x\n"))
    assert result.code == 2
    assert "recursive alias" in result.err


def test_file_name_must_match_the_id_inside_a_workspace(cli, workspace):
    (workspace / "standards" / "wrong-name.yaml").write_text(MINIMAL, encoding="utf-8")
    result = cli("-w", workspace, "standards", "list")
    assert result.code == 2
    assert "wrong-name.yaml is invalid" in result.err
    shown = cli("-w", workspace, "standards", "show", "tiny")
    assert shown.code == 2
    assert "unknown standard 'tiny'" in shown.err
    assert "wrong-name.yaml could not be read" in shown.err
    validated = cli("-w", workspace, "standards", "validate")
    assert validated.code == 2
    assert "must be named tiny.yaml" in validated.err


@pytest.mark.parametrize("bad, message", [
    ('clauses:\n  - number: "0"\n    title: x\n    informative: true\n', "no auditable requirements"),
])
def test_standard_without_requirements(cli, tmp_path, bad, message):
    head = MINIMAL[: MINIMAL.index("clauses:")]
    result = validate(cli, write(tmp_path, head.replace("sops:", "sops_removed:").split("sops_removed:")[0]
                                 + bad))
    assert result.code == 2
    assert message in result.err


def test_unknown_standard_suggests_a_close_id(cli, workspace):
    result = cli("-w", workspace, "standards", "show", "mc-qsm")
    assert result.code == 2
    assert "unknown standard 'mc-qsm'" in result.err and "did you mean 'mc-qms'" in result.err


# --- values YAML reads as something else than text ---------------------------------------------------------------


@pytest.mark.parametrize("before, after, said", [
    ('version: "1"', "version: 2018.10",
     'version: YAML reads 2018.10 as the number 2018.1, not as the text 2018.10 (quote it: version: "2018.10")'),
    ('version: "1"', "version: 3",
     'version: YAML reads 3 as a number, and version must be text (quote it: version: "3")'),
    ('version: "1"', "version: 2026-01-15",
     'version: YAML reads 2026-01-15 as a date, not as text (quote it: version: "2026-01-15")'),
    ('  - number: "1"', "  - number: 1.10",
     'clause 1.10, number: YAML reads 1.10 as the number 1.1, not as the text 1.10 (quote it: number: "1.10")'),
    ("    title: Only clause", "    title: yes",
     'clause 1, title: YAML reads yes as true, not as text (quote it: title: "yes")'),
])
def test_a_value_yaml_reads_otherwise_than_typed_is_refused_with_the_quoted_form(cli, tmp_path, before, after, said):
    text = MINIMAL.replace(before, after)
    if "1.10" in after:  # the rest of the file numbered to match, so that the number is the one mistake
        text = text.replace("ref: 1.a", 'ref: "1.10.a"').replace('clause: "1"', 'clause: "1.10"')
    path = write(tmp_path, text)
    result = validate(cli, path)
    assert result.code == 2
    line = text.splitlines().index(after) + 1
    assert result.err_lines == [f"error: {path}:{line}: {said}"]


def test_a_number_that_reads_back_as_typed_is_taken_as_text(cli, tmp_path):
    text = MINIMAL.replace('  - number: "1"', "  - number: 1").replace('clause: "1"', "clause: 1")
    result = validate(cli, write(tmp_path, text))
    assert result.code == 0, result.err


# --- places named as the author numbers them ------------------------------------------------------------------------


def ten_clauses() -> str:
    """A standard of ten clauses of three requirements each, 1.a ... 10.c."""
    lines = ["id: tiny", "title: Ten clauses", 'version: "1"', "clauses:"]
    for n in range(1, 11):
        lines += [f'  - number: "{n}"', f"    title: Clause {n}", "    requirements:"]
        for letter in "abc":
            lines += [f"      - ref: {n}.{letter}", f"        question: Is {n}.{letter} done?", "        force: must"]
    return "\n".join(lines) + "\n"


def test_a_mistake_in_clause_10s_second_requirement_is_named_by_clause_and_ref(cli, tmp_path):
    text = ten_clauses().replace("      - ref: 10.b\n        question: Is 10.b done?\n        force: must\n",
                                 "      - ref: 10.b\n        question: Is 10.b done?\n        force: must-not\n")
    result = validate(cli, write(tmp_path, text))
    assert result.code == 2
    line = text.splitlines().index("        force: must-not") + 1
    assert len(result.err_lines) == 1
    path = tmp_path / "tiny.yaml"
    assert result.err_lines[0].startswith(f"error: {path}:{line}: clause 10, requirement 10.b, force: "), \
        result.err_lines
    assert "clauses[" not in result.err


def test_cross_reference_problems_are_named_by_numbers_too(cli, tmp_path):
    text = ten_clauses().replace("      - ref: 10.b\n", "      - ref: 11.b\n")
    result = validate(cli, write(tmp_path, text))
    assert result.code == 2
    line = text.splitlines().index("      - ref: 11.b") + 1
    assert result.err_lines == [
        f"error: {tmp_path / 'tiny.yaml'}:{line}: clause 10, requirement 11.b, ref: "
        "ref '11.b' does not start with its clause number '10.' (use 10.a, 10.b, ...)"]


def test_an_item_without_its_number_is_named_by_its_position(cli, tmp_path):
    text = ten_clauses().replace("      - ref: 10.b\n", "      - title: No ref\n")
    text = text.replace('  - number: "7"\n', "  - title_of_seven: x\n")
    result = validate(cli, write(tmp_path, text))
    assert result.code == 2
    errors = "\n".join(result.err_lines)
    assert "clause 10, its 2nd requirement, ref: required field is missing (add it)" in errors
    assert "the 7th clause, number: required field is missing" in errors


def test_a_sub_clause_is_named_by_its_own_number(cli, tmp_path):
    text = ten_clauses().replace(
        '  - number: "10"\n    title: Clause 10\n',
        '  - number: "10"\n    title: Clause 10\n    clauses:\n      - number: "10.2"\n        title: Sub\n'
        "        requirements:\n          - ref: 10.2.a\n            question: Is it done?\n            force: must\n"
        "            sop: SOP-NONE\n")
    result = validate(cli, write(tmp_path, text))
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert ": clause 10.2, requirement 10.2.a, sop: unknown SOP 'SOP-NONE'" in result.err_lines[0]


def test_a_standard_built_in_code_names_the_place_as_well():
    from qms_audit.infra.errors import InvalidFile
    from tests.factories import make_standard, requirement

    bad = requirement("10.b") | {"sop": "SOP-NONE"}
    with pytest.raises(InvalidFile) as raised:
        make_standard({"1": [requirement("1.a")], "10": [requirement("10.a"), bad]})
    assert raised.value.message.startswith("standard tiny: clause 10, requirement 10.b, sop: unknown SOP 'SOP-NONE'")


# --- the source document ------------------------------------------------------------------------------------------


def without_source(text: str) -> str:
    return text.replace("source:\n  citation: Written for the tests\n", "")


def test_an_institution_checklist_needs_no_source(cli, tmp_path):
    text = without_source(MINIMAL).replace('        source_clause: "1"\n', "")
    result = validate(cli, write(tmp_path, text))
    assert result.code == 0, result.err


def test_citing_a_source_clause_needs_the_source_document(cli, tmp_path):
    text = without_source(MINIMAL)
    result = validate(cli, write(tmp_path, text))
    assert result.code == 2
    line = text.splitlines().index('        source_clause: "1"') + 1
    assert result.err_lines == [
        f"error: {tmp_path / 'tiny.yaml'}:{line}: clause 1, requirement 1.a, source_clause: cites the source "
        "document, but the standard names none (add `source: {citation: ...}` at the top, or remove source_clause "
        "and source_modal)"]


def test_once_a_requirement_cites_its_source_clause_every_requirement_does(cli, tmp_path):
    second = ("      - ref: 1.b\n        question: Is the second thing done?\n        force: should\n")
    text = MINIMAL + second
    result = validate(cli, write(tmp_path, text))
    assert result.code == 2
    line = text.splitlines().index("      - ref: 1.b") + 1
    assert result.err_lines == [
        f"error: {tmp_path / 'tiny.yaml'}:{line}: clause 1, requirement 1.b: gives no source_clause, while other "
        "requirements cite theirs (add the clause of the source document it comes from)"]


def test_a_pinned_copy_is_read_as_it_was_planned_even_with_an_unquoted_version(cli, tmp_path):
    """The text an audit was planned against cannot be edited without ceasing to be that text: an unquoted
    version in it stays the version its audit records, where the workspace's own file is refused."""
    from qms_audit.services.standards import load_standard_bytes

    text = MINIMAL.replace('version: "1"', "version: 2018.10")
    assert load_standard_bytes(text.encode(), shown="audits/a/criteria/standard.yaml").version == "2018.1"
    assert validate(cli, write(tmp_path, text)).code == 2
