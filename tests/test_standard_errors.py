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
    assert any("clauses[0].requirements[0].force: required field is missing" in e for e in errors)


def test_wrong_type_is_reported_with_its_field(cli, tmp_path):
    path = write(tmp_path, MINIMAL.replace("    pdca: P\n    requirements", "    pdca: [P]\n    requirements"))
    result = validate(cli, path)
    assert result.code == 2
    assert any("clauses[0].pdca" in e for e in result.err_lines)


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
