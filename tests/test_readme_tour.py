"""The README's tour, run word for word as a newcomer would: in one shell, on a fresh machine, in a workspace the
tour creates itself. The commands are read from README.md, so the two cannot drift apart."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, git_status, status_changes

TOUR_HEADING = "## A short tour"
MARK = "@@tour-step "


def tour_section(readme: str) -> str:
    start = readme.index(TOUR_HEADING)
    following = readme.find("\n## ", start + len(TOUR_HEADING))
    return readme[start:] if following == -1 else readme[start:following]


def strip_comment(line: str) -> str:
    """`line` without a trailing shell comment: a `#` that starts a word, outside quotes."""
    quote = None
    escaped = False
    for i, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def shell_commands(section: str) -> list[str]:
    """The commands of the ```sh blocks of `section`, continuation lines joined, comments removed."""
    commands: list[str] = []
    for block in re.findall(r"^```sh\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL):
        pending = ""
        for line in block.splitlines():
            if line.endswith("\\"):
                # bash drops the backslash and the newline, nothing else
                pending += line[:-1]
                continue
            command = strip_comment(pending + line).strip()
            pending = ""
            if command:
                commands.append(command)
        assert not pending, f"a ```sh block of the tour ends in a continuation line: {pending!r}"
    return commands


def tour_commands() -> list[str]:
    return shell_commands(tour_section((REPO / "README.md").read_text(encoding="utf-8")))


def the_command(commands: list[str], prefix: str) -> tuple[int, list[str]]:
    """The index and words of the only tour command starting with `prefix`."""
    found = [(i, shlex.split(c)) for i, c in enumerate(commands) if c.startswith(prefix)]
    assert len(found) == 1, f"expected one `{prefix}...` in the tour, found {len(found)}"
    return found[0]


def option(words: list[str], name: str) -> str:
    return words[words.index(name) + 1]


@dataclass
class TourRun:
    commands: list[str]
    code: int
    outputs: list[str]  # each command's stdout, in order
    stdout: str
    stderr: str
    home: Path
    env: dict[str, str]
    repo_before: list[str] | None
    repo_after: list[str] | None

    def output_of(self, prefix: str) -> str:
        index, _ = the_command(self.commands, prefix)
        return self.outputs[index]


@pytest.fixture(scope="module")
def tour(tmp_path_factory) -> TourRun:
    commands = tour_commands()
    base = tmp_path_factory.mktemp("tour")
    home = base / "home"
    home.mkdir()
    scripts = Path(sys.executable).parent
    assert (scripts / "qms-audit").exists(), f"the qms-audit script is not installed next to {sys.executable}"
    # A newcomer's shell: no name configured, no workspace chosen, the real clock, the installed script on PATH
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QMS_AUDIT_", "XDG_"))}
    env.update(HOME=str(home), QMS_AUDIT_CONFIG_DIR=str(base / "config"), QMS_AUDIT_DATA_DIR=str(base / "data"),
               QMS_AUDIT_STATE=str(base / "state"), PATH=f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}")
    lines = ['trap \'printf "the command above failed with exit code %s\\n" "$?" >&2\' ERR']
    for i, command in enumerate(commands):
        marker = shlex.quote(f"{MARK}{i}")
        lines += [f"printf '%s\\n' {marker}", f"printf '%s\\n' {marker} >&2", command]
    lines.append(f"printf '%s\\n' {shlex.quote(MARK + 'end')}")
    script = base / "tour.sh"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = git_status(REPO)
    # Started in the repository, where someone who just ran `make run` stands
    proc = subprocess.run(["bash", "-e", str(script)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    after = git_status(REPO)
    parts = re.split(rf"^{re.escape(MARK)}\S+\n", proc.stdout, flags=re.MULTILINE)
    return TourRun(commands, proc.returncode, parts[1:-1], proc.stdout, proc.stderr, home, env, before, after)


def run_in(tour: TourRun, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["qms-audit", *args], cwd=folder, env=tour.env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_the_parser_joins_continuations_and_strips_comments_outside_quotes():
    section = ("## A short tour\n\n```sh\n"
               "qms-audit a \"x # not a comment\" 'y # nor this' # a comment\n"
               "qms-audit b --one 1 \\\n    --two 2   # after a continuation\n"
               "printf 'p\\n' > f#g.txt\n"
               "# a whole-line comment\n```\n\n```yaml\nnot: shell\n```\n")
    assert shell_commands(section) == [
        "qms-audit a \"x # not a comment\" 'y # nor this'",
        "qms-audit b --one 1     --two 2",
        "printf 'p\\n' > f#g.txt",
    ]


def test_the_tour_runs_verbatim_in_a_workspace_of_its_own_and_closes_its_nc(tour):
    commands = tour.commands
    failed = tour.stdout.rsplit(MARK, 1)[-1].split("\n", 1)[0] if tour.code else ""
    assert tour.code == 0, (f"tour step {failed} failed: {commands[int(failed)] if failed.isdigit() else '?'}\n"
                            f"{tour.stderr[-3000:]}")
    assert tour.stdout.rstrip().endswith(f"{MARK}end")
    assert len(tour.outputs) == len(commands)
    complaints = [line for line in tour.stderr.splitlines() if line.startswith(("error:", "warning:"))]
    assert complaints == []

    # Who is recorded comes first; the workspace is created by the tour and the work happens inside it
    assert commands[0].startswith("qms-audit whoami --set ")
    recorder = option(shlex.split(commands[0]), "--set")
    init_at, init = the_command(commands, "qms-audit init ")
    cd_at, cd = the_command(commands, "cd ")
    assert init_at < cd_at and init[2] == cd[1]
    workspace = Path(cd[1].replace("~", str(tour.home), 1))
    assert (workspace / "standards").is_dir()

    _, verify = the_command(commands, "qms-audit verify ")
    audit_id = verify[2]
    _, close = the_command(commands, "qms-audit capa close ")
    nc_id = close[3]
    demo_ids = {p.name for p in (REPO / "audits").iterdir()} | {
        p.stem for p in [*(REPO / "audits").glob("*/findings/*.json"), *(REPO / "ncs").glob("*.json")]}
    assert audit_id not in demo_ids and nc_id not in demo_ids

    shown = run_in(tour, workspace, "nc", "show", nc_id, "--json")
    assert shown.returncode == 0, shown.stderr
    nc = json.loads(shown.stdout)
    assert nc["audit_id"] == audit_id
    assert nc["grade"] == "major_nc"
    assert nc["raised_by"] == recorder
    assert nc["stage"] == "closed"
    assert nc["missing_for_closure"] == []
    capa = nc["capa"]
    assert capa["closed_at"] and capa["closed_by"] == recorder
    assert capa["root_cause"]["method"] and capa["similar"]["text"]
    owners = {a["owner"] for a in capa["actions"]}
    assert capa["actions"] and all(a["status"] == "done" for a in capa["actions"])
    # Due dates are after the day the NC was raised, whatever day the tour runs on
    assert all(a["due"] > nc["raised_at"][:10] for a in capa["actions"])
    verification = capa["verifications"][-1]
    assert verification["result"] == "effective"
    assert verification["by"] not in owners
    # The evidence file the tour made is part of the audit
    audit = json.loads(run_in(tour, workspace, "audit", "show", audit_id, "--json").stdout)
    files = [e["file"] for r in audit["results"].values() for e in r.get("evidence", []) if "file" in e]
    assert len(files) == 1

    verified = [line for line in tour.output_of("qms-audit verify ").splitlines() if line.strip()]
    assert verified and all(line.startswith("ok ") for line in verified)
    assert audit_id in verified[0]

    wrote = tour.output_of("qms-audit report ").strip()
    assert wrote.startswith("wrote ")
    report = Path(wrote.removeprefix("wrote "))
    assert report.is_file() and report.resolve().is_relative_to(workspace.resolve())
    import docx

    paragraphs = [p.text for p in docx.Document(str(report)).paragraphs]
    assert audit["audit"]["title"] in paragraphs


def test_the_tour_never_touches_the_repository(tour):
    if tour.repo_before is None:
        pytest.skip("the repository is not a git checkout (or git is missing)")
    assert tour.repo_after is not None
    changed = status_changes(tour.repo_before, tour.repo_after)
    assert changed == [], f"the tour changed the repository (or someone edited it meanwhile): {changed}"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_session_guard_sees_changed_and_new_files(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / ".gitignore").write_text("ignored/\n")
    (repo / "tracked.txt").write_text("one\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "start"], check=True)
    before = git_status(repo)
    assert before == []
    (repo / "tracked.txt").write_text("two\n")
    (repo / "new" / "deep").mkdir(parents=True)
    (repo / "new" / "deep" / "left.html").write_text("x")
    (repo / "ignored").mkdir()
    (repo / "ignored" / "fine.html").write_text("x")
    assert status_changes(before, git_status(repo)) == ["+  M tracked.txt", "+ ?? new/deep/left.html"]
    # A subfolder of a checkout is not guarded as if it were the checkout
    assert git_status(repo / "new") is None


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize("leaves_a_file", [False, True])
def test_a_test_run_that_leaves_a_file_in_the_repository_fails(tmp_path, leaves_a_file):
    """The session guard of tests/conftest.py, on a checkout of its own: a run whose tests all pass still fails
    when it leaves a file behind."""
    repo = tmp_path / "checkout"
    repo.mkdir()
    (repo / ".gitignore").write_text("__pycache__/\n")
    (repo / "conftest.py").write_text(
        "from pathlib import Path\n\n"
        "import tests.conftest as guard\n"
        "from tests.conftest import pytest_sessionfinish, pytest_sessionstart, pytest_terminal_summary  # noqa\n\n"
        "guard.REPO = Path(__file__).parent\n")
    (repo / "test_probe.py").write_text(
        "from pathlib import Path\n\n\n"
        "def test_probe():\n"
        f"    if {leaves_a_file}:\n"
        "        (Path(__file__).parent / 'left-behind.txt').write_text('x')\n")
    git = ["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "start"], check=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(repo)], cwd=repo,
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert "1 passed" in run.stdout
    if leaves_a_file:
        assert run.returncode == 1, run.stdout
        assert "the test run changed the repository" in run.stdout
        assert "+ ?? left-behind.txt" in run.stdout
    else:
        assert run.returncode == 0, run.stdout + run.stderr
        assert "changed the repository" not in run.stdout
