"""Team audits that merge: auditors each work in a real git clone of the workspace and `git merge` each other's
work. The merge driver and the post-merge hook run as git runs them (real processes, through `git setup`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from qms_audit.infra.locations import Workspace
from tests.test_tui import jump

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

AID = "team-audit"
LEAD = "Dr Farah Aziz"
MEMBER = "Mr Daniel Reyes"


@pytest.fixture
def git_env(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    for name, value in {"HOME": str(home), "GIT_AUTHOR_NAME": "auditor", "GIT_AUTHOR_EMAIL": "a@example.org",
                        "GIT_COMMITTER_NAME": "auditor", "GIT_COMMITTER_EMAIL": "a@example.org",
                        "GIT_CONFIG_NOSYSTEM": "1"}.items():
        monkeypatch.setenv(name, value)
    return home


def git(cwd: Path, *args: str, check: bool = True, now: str | None = None,
        user: str | None = None) -> subprocess.CompletedProcess[str]:
    """git as a person runs it; the driver and hook it starts see the clock and the name given."""
    env = {**os.environ}
    if now:
        env["QMS_AUDIT_NOW"] = now
    if user:
        env["QMS_AUDIT_USER"] = user
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture
def clones(cli, workspace, tmp_path, git_env, monkeypatch):
    """The lead's workspace with a planned audit, committed, set up for git; and the team member's clone."""
    lead = workspace
    monkeypatch.setenv("QMS_AUDIT_NOW", "2026-10-12T08:00:00Z")
    assert cli("-w", lead, "--as", LEAD, "audit", "new", "--standard", "mc-qms", "--title", "Team audit",
               "--auditee", "Faculty of Engineering", "--lead", f"{LEAD} (QA Unit)", "--member",
               f"{MEMBER} (Faculty of Business)", "--start", "2026-10-12", "--id", AID).code == 0
    git(lead, "init", "-q", "-b", "main")
    setup = cli("-w", lead, "git", "setup")
    assert setup.code == 0, setup.err
    git(lead, "add", "-A")
    git(lead, "commit", "-qm", "audit planned")
    member = tmp_path / "member-clone"
    git(tmp_path, "clone", "-q", str(lead), str(member))
    assert cli("-w", member, "git", "setup").code == 0  # once per clone
    return lead, member


def act(cli, ws: Path, who: str, when: str, *args: str) -> None:
    os.environ["QMS_AUDIT_NOW"] = when
    done = cli("-w", ws, "--as", who, *args)
    assert done.code == 0, done.err


def commit(ws: Path, message: str) -> None:
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", message)


def audit_json(cli, ws: Path) -> dict:
    return json.loads(cli("-w", ws, "audit", "show", AID, "--json").out)


def no_markers(ws: Path) -> None:
    for path in (ws / "audits").rglob("*.json"):
        assert "<<<<<<<" not in path.read_text(encoding="utf-8"), path


def test_two_clones_rating_one_clause_merge_cleanly_and_verify(cli, clones, tmp_path):
    lead, member = clones
    evidence = tmp_path / "panel-minutes.txt"
    evidence.write_text("Validation panel minutes\n")
    act(cli, lead, LEAD, "2026-10-12T09:00:00Z", "audit", "evidence", "add", AID, "8.1.c", "--phase", "D",
        "--kind", "record", "--text", "panel minutes of 3 sampled MCs", "--file", str(evidence))
    act(cli, lead, LEAD, "2026-10-12T09:05:00Z", "audit", "rate", AID, "8.1.c", "--grade", "minor",
        "--note", "1 of 3 sampled MCs launched unvalidated")
    commit(lead, "lead: 8.1.c")
    act(cli, member, MEMBER, "2026-10-12T09:10:00Z", "audit", "rate", AID, "8.1.a", "--grade", "major",
        "--note", "no design and development procedure")
    commit(member, "member: 8.1.a")

    merged = git(lead, "pull", "--no-rebase", "--no-edit", str(member), "main", now="2026-10-12T10:00:00Z",
                 user=LEAD)
    assert "CONFLICT" not in merged.stdout + merged.stderr
    no_markers(lead)
    shown = audit_json(cli, lead)
    ncs = sorted(f["id"] for f in shown["findings"])
    assert ncs == ["NC-2026-FOE-801", "NC-2026-FOE-811"]  # the lead's block and the member's block of clause 8
    assert shown["results"]["8.1.c"]["grade"] == "minor_nc" and shown["results"]["8.1.a"]["grade"] == "major_nc"
    assert len(shown["results"]["8.1.c"]["evidence"]) == 1 and not shown["disputes"]
    # the hook recorded the merge: one entry following both branches, naming the merged results file
    entries = [json.loads(p.read_text()) for p in sorted((lead / "audits" / AID / "log").glob("*.json"))]
    join = [e for e in entries if e["action"] == "log.merge"]
    assert len(join) == 1 and len(join[0]["prev"]) == 2 and "results/clause-08.json" in join[0]["files"]
    verified = cli("-w", lead, "verify", AID)
    assert verified.code == 0 and "not recorded" not in verified.out, verified.out
    # the recorded merge is committed like any change, and the member's clone takes it as it is
    commit(lead, "merge recorded")
    git(member, "pull", "-q", "--no-rebase", "--no-edit", str(lead), "main", now="2026-10-12T10:05:00Z",
        user=MEMBER)
    assert cli("-w", member, "verify", AID).code == 0


def test_one_requirement_rated_differently_becomes_a_dispute_the_lead_settles(cli, clones):
    lead, member = clones
    act(cli, lead, LEAD, "2026-10-12T09:05:00Z", "audit", "rate", AID, "8.1.c", "--grade", "minor",
        "--note", "1 of 3 MCs unvalidated")
    commit(lead, "lead: 8.1.c minor")
    act(cli, member, MEMBER, "2026-10-12T09:20:00Z", "audit", "rate", AID, "8.1.c", "--grade", "major",
        "--note", "2 of 3 MCs unvalidated")
    commit(member, "member: 8.1.c major")

    merged = git(lead, "pull", "--no-rebase", "--no-edit", str(member), "main", now="2026-10-12T10:00:00Z",
                 user=LEAD)
    assert "CONFLICT" not in merged.stdout + merged.stderr
    assert "8.1.c was rated differently on both sides" in merged.stderr
    no_markers(lead)

    show = cli("-w", lead, "audit", "show", AID)
    assert show.code == 0
    disputed = show.out[show.out.index("disputed ratings"):]
    assert "8.1.c  recorded for now: major nonconformity" in disputed
    assert (f'minor nonconformity (NC-2026-FOE-801) by {LEAD}, 2026-10-12 09:05: "1 of 3 MCs unvalidated"'
            in disputed)
    assert (f'major nonconformity (NC-2026-FOE-811) by {MEMBER}, 2026-10-12 09:20: "2 of 3 MCs unvalidated"'
            in disputed)
    verified = cli("-w", lead, "verify", AID)
    assert verified.code == 0
    assert "note: audit team-audit: the rating of 8.1.c is disputed" in verified.out
    assert f"minor nonconformity (NC-2026-FOE-801) by {LEAD}" in verified.out

    # undecided ratings are neither reported nor closed, and only the lead decides
    os.environ["QMS_AUDIT_NOW"] = "2026-10-12T11:00:00Z"
    refused = cli("-w", lead, "--as", LEAD, "audit", "status", AID, "reported")
    assert refused.code == 2 and refused.err_lines == [
        f"error: audit {AID} cannot be reported: the rating of 8.1.c is disputed between auditors; the lead auditor "
        f"settles each by rating it (`qms-audit audit rate {AID} REF --grade ...`)"]
    not_lead = cli("-w", lead, "--as", MEMBER, "audit", "rate", AID, "8.1.c", "--grade", "major")
    assert not_lead.code == 2 and f"the lead auditor, {LEAD}, settles it" in not_lead.err

    # the lead settles with an ordinary rating: logged, the dispute gone, the other rating's NC withdrawn
    os.environ["QMS_AUDIT_NOW"] = "2026-10-12T11:05:00Z"
    settled = cli("-w", lead, "--as", LEAD, "audit", "rate", AID, "8.1.c", "--grade", "major")
    assert settled.code == 0 and "dispute settled by the lead auditor; withdrawn: NC-2026-FOE-801" in settled.out
    shown = audit_json(cli, lead)
    assert not shown["disputes"] and shown["results"]["8.1.c"]["rated_by"] == LEAD
    findings = {f["id"]: f for f in shown["findings"]}
    assert findings["NC-2026-FOE-811"].get("withdrawn") is None
    assert findings["NC-2026-FOE-801"]["withdrawn"].startswith("dispute on 8.1.c settled as major nonconformity")
    newest = json.loads(sorted((lead / "audits" / AID / "log").glob("*.json"))[-1].read_text())
    assert newest["action"] == "result.rate" and newest["actor"] == LEAD
    assert any(c["field"] == "8.1.c.dispute" and c["after"] is None for c in newest["changes"])
    verified = cli("-w", lead, "verify", AID)
    assert verified.code == 0 and "disputed" not in verified.out
    act(cli, lead, LEAD, "2026-10-12T11:10:00Z", "audit", "status", AID, "reported")


def test_a_merge_not_recorded_yet_is_a_note_and_a_file_edited_by_hand_is_still_tampering(cli, clones):
    lead, member = clones
    hook = Path(git(lead, "rev-parse", "--git-path", "hooks").stdout.strip())
    (lead / hook / "post-merge").unlink()  # as in a clone where the merge was made by hand
    act(cli, lead, LEAD, "2026-10-12T09:05:00Z", "audit", "rate", AID, "8.1.c", "--grade", "c")
    act(cli, lead, LEAD, "2026-10-12T09:06:00Z", "audit", "rate", AID, "9.2.1.a", "--grade", "c")
    commit(lead, "lead")
    act(cli, member, MEMBER, "2026-10-12T09:10:00Z", "audit", "rate", AID, "8.1.a", "--grade", "c")
    commit(member, "member")
    git(lead, "pull", "-q", "--no-rebase", "--no-edit", str(member), "main", now="2026-10-12T10:00:00Z")

    verified = cli("-w", lead, "verify", AID)
    assert verified.code == 0, verified.out
    assert ("note: audit team-audit: a git merge is not recorded in the log yet: results/clause-08.json was written "
            "by auditors on both branches") in verified.out
    # a file only one branch wrote is checked against that branch as ever
    clause9 = lead / "audits" / AID / "results" / "clause-09.json"
    original = clause9.read_text()
    clause9.write_text(original.replace('"conformity"', '"major_nc"'))
    tampered = cli("-w", lead, "verify", AID)
    assert tampered.code == 1 and "TAMPERED  audits/team-audit/results/clause-09.json: changed outside" in tampered.out
    clause9.write_text(original)

    os.environ["QMS_AUDIT_NOW"] = "2026-10-12T10:30:00Z"
    recorded = cli("-w", lead, "--as", LEAD, "git", "record-merge")
    assert recorded.code == 0 and "recorded the merge in audit team-audit" in recorded.out
    verified = cli("-w", lead, "verify", AID)
    assert verified.code == 0 and "not recorded" not in verified.out
    again = cli("-w", lead, "--as", LEAD, "git", "record-merge")
    assert again.code == 0 and "nothing to record" in again.out


def test_nothing_is_merged_into_a_closed_audit(cli, clones):
    lead, member = clones
    act(cli, lead, LEAD, "2026-10-12T09:05:00Z", "audit", "rate", AID, "8.1.c", "--grade", "c")
    act(cli, lead, LEAD, "2026-10-12T09:06:00Z", "audit", "status", AID, "in_progress")
    act(cli, lead, LEAD, "2026-10-12T09:07:00Z", "audit", "status", AID, "reported")
    act(cli, lead, LEAD, "2026-10-12T09:08:00Z", "audit", "close", AID)
    commit(lead, "closed")
    act(cli, member, MEMBER, "2026-10-12T09:10:00Z", "audit", "rate", AID, "8.1.a", "--grade", "minor",
        "--note", "late finding")
    commit(member, "member")
    merged = git(lead, "pull", "--no-rebase", "--no-edit", str(member), "main", check=False,
                 now="2026-10-12T10:00:00Z", user=LEAD)
    assert merged.returncode != 0 and "CONFLICT" in merged.stdout
    assert "is closed and sealed; nothing is merged into it" in merged.stderr
    no_markers(lead)
    kept = json.loads((lead / "audits" / AID / "results" / "clause-08.json").read_text())
    assert set(kept["results"]) == {"8.1.c"}  # the sealed version
    git(lead, "merge", "--abort")
    assert cli("-w", lead, "verify", AID).code == 0


def test_init_in_a_git_work_tree_sets_up_the_clone(cli, tmp_path, git_env):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    made = cli("init", repo / "ws")
    assert made.code == 0 and "merge driver and post-merge hook set up" in made.out
    attributes = (repo / "ws" / ".gitattributes").read_text()
    assert "audits/*/results/*.json merge=qms-audit" in attributes
    driver = git(repo, "config", "--get", "merge.qms-audit.driver").stdout
    assert "-m qms_audit git merge-file %O %A %B %P" in driver
    assert (repo / ".git" / "hooks" / "post-merge").read_text().count("git record-merge --hook") == 1
    # outside git, set-up is refused with one line saying what to do
    plain = cli("init", tmp_path / "plain")
    assert plain.code == 0 and "git:" not in plain.out
    refused = cli("-w", tmp_path / "plain", "git", "setup")
    assert refused.code == 2 and len(refused.err_lines) == 1 and "not in a git work tree" in refused.err


async def test_the_tui_shows_the_dispute_in_the_requirement_pane(cli, clones):
    from qms_audit.tui.app import QmsAuditApp
    from qms_audit.tui.widgets.requirement import RequirementPane

    lead, member = clones
    act(cli, lead, LEAD, "2026-10-12T09:05:00Z", "audit", "rate", AID, "8.1.c", "--grade", "minor",
        "--note", "1 of 3 MCs unvalidated")
    commit(lead, "lead")
    act(cli, member, MEMBER, "2026-10-12T09:20:00Z", "audit", "rate", AID, "8.1.c", "--grade", "major",
        "--note", "2 of 3 MCs unvalidated")
    commit(member, "member")
    git(lead, "pull", "-q", "--no-rebase", "--no-edit", str(member), "main", now="2026-10-12T10:00:00Z", user=LEAD)
    for size in ((80, 24), (120, 40)):
        app = QmsAuditApp(Workspace(lead), LEAD, audit_id=AID)
        async with app.run_test(size=size) as pilot:
            await jump(pilot, "8.1.c")
            pane = app.screen.query_one(RequirementPane)
            shown = pane.view.text.plain
            assert f"DISPUTED {LEAD} (lead) settles it by rating" in shown
            if size == (80, 24):  # one short line per rating, so that both fit beside the rating
                assert f"MIN NC-2026-FOE-801 {LEAD} 2026-10-12 09:05" in shown
                assert f"MAJ NC-2026-FOE-811 {MEMBER} 2026-10-12 09:20" in shown
            else:
                assert (f'minor nonconformity (NC-2026-FOE-801) by {LEAD}, 2026-10-12 09:05: "1 of 3 MCs '
                        'unvalidated"') in shown
                assert f"major nonconformity (NC-2026-FOE-811) by {MEMBER}, 2026-10-12 09:20" in shown
            # on screen, not scrolled away: the rating and both disputed ratings are in the visible lines
            visible = "\n".join(strip.text for strip in pane.view._lines[: pane.view.size.height])
            assert "DISPUTED" in visible and "NC-2026-FOE-811" in visible, visible
