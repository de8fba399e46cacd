"""`qms-audit audit ...`, `score`, `verify`: the scriptable twins of what the TUI does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from qms_audit.cli.common import AppContext, emit_json, pass_app, print_table, warn
from qms_audit.cli.options import DATE, GRADE, KIND, PHASE
from qms_audit.domain.presentation import date, pct, plural, result_label
from qms_audit.infra import exit_codes
from qms_audit.infra.errors import BadInput
from qms_audit.model.audit import AuditStatus, Grade


@click.group()
def audit() -> None:
    """Plan audits, rate requirements, record evidence and findings, close audits."""


def _open(app: AppContext, audit_id: str, *, reading: bool = False):
    """The audit, a killed writer's change to it completed first (under the user's name; `reading`: a command
    that only reads needs no name for it)."""
    from qms_audit.services.auditing import open_audit

    return open_audit(app.workspace, audit_id, actor=app.reader if reading else app.actor)


@audit.command("new")
@click.option("--standard", "standard_id", required=True, help="Standard id, e.g. mc-qms.")
@click.option("--title", required=True)
@click.option("--auditee", required=True, help="The unit audited, e.g. 'Faculty of Engineering'.")
@click.option("--unit-code", help="Short code used in finding ids (default: the unit's initials).")
@click.option("--lead", required=True, help="Lead auditor: 'Name' or 'Name (Home unit)'.")
@click.option("--lead-unit", help="The lead auditor's home unit (for the independence check).")
@click.option("--member", "members", multiple=True, help="Team member 'Name (Home unit)'; repeatable.")
@click.option("--id", "audit_id", help="Audit id (default: YEAR-UNIT-STANDARD).")
@click.option("--start", type=DATE)
@click.option("--end", type=DATE)
@click.option("--objective", "objectives", multiple=True)
@click.option("--process", "processes", multiple=True, help="Process in scope; repeatable.")
@click.option("--clause", "clauses", multiple=True, help="Top-level clause in scope (default: all).")
@click.option("--exclusions", help="What is left out of scope and why.")
@click.option("--client", help="The audit client (who asked for the audit).")
@click.option("--participant", "participants", multiple=True, help="'Name, Position, Unit'; repeatable.")
@click.option("--location", "locations", multiple=True)
@click.option("--method", help="How evidence is gathered.")
@click.option("--sampling", help="The sampling approach.")
@click.option("--criteria", "other_criteria", multiple=True, help="Further criteria (policies, regulations).")
@click.option("--confidentiality")
@click.option("--distribution", multiple=True, help="Who receives the report; repeatable.")
@click.option("--override-independence", metavar="JUSTIFICATION",
              help="Let an auditor audit their own unit, recording why it cannot be avoided.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def new_audit(app: AppContext, standard_id, title, auditee, unit_code, lead, lead_unit, members, audit_id, start,
              end, objectives, processes, clauses, exclusions, client, participants, locations, method, sampling,
              other_criteria, confidentiality, distribution, override_independence, as_json) -> None:
    """Plan a new audit."""
    from qms_audit.services.auditing import create_audit, parse_member, parse_participant

    lead_member = parse_member(lead, role="lead")
    if lead_unit:
        lead_member = lead_member.model_copy(update={"home_unit": lead_unit})
    lead_member = _with_profile_unit(app, lead_member)
    team = [_with_profile_unit(app, parse_member(m)) for m in members]
    opened = create_audit(
        app.workspace, standard_id=standard_id, title=title, auditee_unit=auditee, lead=lead_member,
        actor=app.actor, audit_id=audit_id, unit_code=unit_code, team=team, objectives=objectives,
        processes=processes, clauses=clauses, exclusions=exclusions, client=client,
        participants=[parse_participant(p) for p in participants], start_date=start, end_date=end,
        locations=locations, method=method, sampling=sampling, other_criteria=other_criteria,
        confidentiality=confidentiality, distribution=distribution, override_independence=override_independence)
    for member in opened.record.plan.auditors():
        if not member.home_unit:
            warn(f"independence of {member.name} not checked: no home unit given (write 'Name (Home unit)')")
    if as_json:
        emit_json(opened.record.model_dump(mode="json", exclude_none=True))
        return
    click.echo(f"created audit {opened.id}: {opened.record.title}")
    click.echo(f"  {opened.standard.key}, auditee {auditee} ({opened.record.plan.scope.unit_code}), "
               f"{plural(len(opened.scoped_requirements()), 'requirement')} in scope")
    click.echo(f"  folder {app.workspace.relative(opened.store.folder)}")


def _with_profile_unit(app: AppContext, member):
    """Take an auditor's home unit from the institution profile when it is not given."""
    if member.home_unit:
        return member
    from qms_audit.services.profile import home_unit_of

    unit = home_unit_of(app.workspace, member.name)
    return member.model_copy(update={"home_unit": unit}) if unit else member


@audit.command("list")
@click.option("--status", type=click.Choice([s.value for s in AuditStatus]))
@click.option("--json", "as_json", is_flag=True)
@pass_app
def list_audits(app: AppContext, status: str | None, as_json: bool) -> None:
    """The workspace's audits with status, standard, dates, score and open NCs."""
    from qms_audit.services.portfolio import load_digests, summary

    digests = [d for d in load_digests(app.workspace) if status is None or d.status.value == status]
    rows = [summary(d) for d in digests]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no audits yet: create one with `qms-audit audit new` (or the TUI)")
        return
    print_table(["id", "status", "standard", "auditee", "start", "score", "coverage", "verdict", "open NCs"],
                [(r["id"], r["status"], r["standard"], r["auditee"], r["start_date"] or "", r["overall_shown"],
                  pct(d.coverage), r["verdict"], r["open_ncs"]) for d, r in zip(digests, rows, strict=True)],
                right=[5, 6, 8])


@audit.command("show")
@click.argument("audit_id")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def show_audit(app: AppContext, audit_id: str, as_json: bool) -> None:
    """The plan, progress per clause and findings of one audit."""
    from qms_audit.domain.scoring import score_snapshot

    opened = _open(app, audit_id, reading=True)
    record, snap, std = opened.record, opened.snapshot, opened.standard
    score = score_snapshot(std, snap)
    if as_json:
        from qms_audit.domain.audit_rules import effective_status

        emit_json({
            "status": effective_status(snap).value,
            "audit": record.model_dump(mode="json", exclude_none=True),
            "results": {ref: r.model_dump(mode="json", exclude_none=True) for ref, r in sorted(snap.results.items())},
            "findings": [f.model_dump(mode="json", exclude_none=True) for f in snap.findings.values()],
            "disputes": {ref: d.model_dump(mode="json", exclude_none=True) for ref, d in snap.disputes.items()},
            "score": score.to_json(),
        })
        return
    plan = record.plan
    click.echo(f"{record.id}: {record.title}")
    from qms_audit.domain.audit_rules import effective_status

    click.echo(f"status {effective_status(snap).label}; {std.key}; "
               f"auditee {plan.scope.auditee_unit} ({plan.scope.unit_code})")
    click.echo(f"lead {plan.lead.name}" + (f" ({plan.lead.home_unit})" if plan.lead.home_unit else "")
               + "".join(f"; {m.name}" + (f" ({m.home_unit})" if m.home_unit else "") for m in plan.team))
    if plan.start_date:
        click.echo(f"dates {date(plan.start_date)} to {date(plan.end_date) or '?'}"
                   + (f" at {', '.join(plan.locations)}" if plan.locations else ""))
    click.echo(f"score {score.shown.text}, coverage {pct(score.coverage)}, "
               f"verdict {score.verdict_label}")
    for line in _trust_lines(opened):
        click.echo(line)
    click.echo("")
    rows = []
    for number, clause in score.clauses.items():
        rows.append((number, clause.title[:40], f"{clause.assessed}/{clause.applicable}", clause.shown.text,
                     clause.band_label + (" (capped)" if clause.capped else ""),
                     "" if clause.maturity is None else f"{clause.maturity:.1f}"))
    print_table(["clause", "title", "assessed", "score", "band", "maturity"], rows, right=[2, 3, 5])
    findings = snap.active_findings()
    if findings:
        click.echo("")
        print_table(["finding", "grade", "ref", "statement"],
                    [(f.id, f.grade.short, f.ref or "", f.statement[:70]) for f in findings])
    disputes = _dispute_lines(opened)
    if disputes:
        click.echo(f"\ndisputed ratings (auditors rated these differently; the lead auditor, {plan.lead.name}, "
                   "settles each by rating it):")
        for line in disputes:
            click.echo(line)
    if score.out_of_scope:
        click.echo(f"\nout of scope: clauses {', '.join(score.out_of_scope)}")


def _dispute_lines(opened) -> list[str]:
    """Each disputed requirement, then each auditor's rating of it: value, findings, who, when, note."""
    from qms_audit.domain.audit_rules import findings_of_rating
    from qms_audit.domain.presentation import disputed_rating_text
    from qms_audit.model.common import number_key

    snap = opened.snapshot
    lines = []
    for ref, dispute in sorted(snap.disputes.items(), key=lambda kv: number_key(kv[0])):
        kept = snap.result(ref)
        lines.append(f"  {ref}  recorded for now: {result_label(opened.standard, kept).lower()}")
        for rating in dispute.ratings:
            found = [f.id for f in findings_of_rating(ref, rating, snap.findings.values())]
            lines.append(f"    - {disputed_rating_text(rating, found)}")
    return lines


def _trust_lines(opened) -> list[str]:
    """What the audit is judged against, and who signed what: criteria, report approval, seal."""
    from qms_audit.store.eventlog import ordered
    from qms_audit.views.report_content import current_approval, current_seal

    criteria = opened.record.plan.criteria
    entries = ordered(opened.store.log.entries())
    lines = [f"criteria {criteria.standard}@{criteria.version}, "
             + (f"pinned when planned (sha256 {criteria.sha256[:16]}...)" if criteria.sha256
                else "the workspace's file (planned before criteria were pinned)")]
    approval = current_approval(entries)
    if approval is not None:
        lines.append(f"report approved by {approval.by} on {approval.at:%Y-%m-%d}"
                     + (f"; {approval.changes_since} change(s) since" if approval.changes_since else ""))
    seal = current_seal(entries)
    if seal is not None:
        lines.append(f"sealed by {seal.signer} on {seal.at:%Y-%m-%d} (entry {seal.seq}, sha256 {seal.hash[:16]}...)")
    return lines


@audit.command("rate")
@click.argument("audit_id")
@click.argument("ref")
@click.option("--grade", "-g", type=GRADE, required=True,
              help="conformity, good_practice, ofi, observation, minor_nc, major_nc, not_applicable, "
                   "not_assessed (or a level number for standards rated on levels).")
@click.option("--note", help="The auditor's note (for a finding grade, its statement unless --statement).")
@click.option("--na-reason", help="Why the requirement does not apply (required for not_applicable).")
@click.option("--statement", help="The finding statement, when it differs from the note.")
@pass_app
def rate_cmd(app: AppContext, audit_id, ref, grade, note, na_reason, statement) -> None:
    """Rate one requirement."""
    from qms_audit.services.auditing import rate

    opened = _open(app, audit_id)
    level = None
    if isinstance(grade, int):
        level, grade = grade, Grade.NOT_ASSESSED
    disputed = ref in opened.snapshot.disputes
    standing = {f.id for f in opened.snapshot.findings_for(ref)}
    result = rate(opened, ref, grade, actor=app.actor, note=note, na_reason=na_reason, level=level,
                  statement=statement)
    click.echo(f"{audit_id} {ref}: {result_label(opened.standard, result)}")
    withdrawn = sorted(standing - {f.id for f in opened.snapshot.findings_for(ref)})
    if disputed:
        click.echo("  dispute settled by the lead auditor" + (f"; withdrawn: {', '.join(withdrawn)}" if withdrawn
                                                              else ""))
    for finding in opened.snapshot.findings_for(ref):
        click.echo(f"  finding {finding.id} ({finding.grade.label.lower()})"
                   + (f", response due {date(finding.response_due)}" if finding.response_due else "")
                   + (f", {plural(len(finding.evidence_ids), 'evidence entry', 'evidence entries')} linked"
                      if finding.evidence_ids else ""))


@audit.group("evidence")
def evidence() -> None:
    """Evidence entries, each tagged with a PDCA phase."""


@evidence.command("add")
@click.argument("audit_id")
@click.argument("ref")
@click.option("--phase", "-p", type=PHASE, required=True, help="P, D, C or A (plan, do, check, act).")
@click.option("--kind", "-k", type=KIND, required=True, help="document, record, interview, observation, data.")
@click.option("--text", "-t", required=True, help="What the evidence is and what it shows.")
@click.option("--file", "file", type=click.Path(path_type=Path), help="A file to copy into the audit folder.")
@click.option("--reference", "-r", help="Document number, URL, location or interviewee.")
@click.option("--sample", "sample_size", type=click.IntRange(min=1), help="Sample size, when sampled.")
@click.option("--population", type=click.IntRange(min=1), help="Population the sample was drawn from.")
@click.option("--sample-note", help="How the sample was drawn.")
@click.option("--finding", "findings", multiple=True, metavar="FINDING_ID",
              help="Link the entry to this finding of the same requirement; repeatable.")
@pass_app
def evidence_add(app: AppContext, audit_id, ref, phase, kind, text, file, reference, sample_size, population,
                 sample_note, findings) -> None:
    """Record evidence for a requirement."""
    from qms_audit.services.auditing import add_evidence

    opened = _open(app, audit_id)
    ev = add_evidence(opened, ref, phase=phase, kind=kind, text=text, actor=app.actor, reference=reference,
                      file=file, sample_size=sample_size, population=population, sample_note=sample_note,
                      findings=findings)
    click.echo(f"{audit_id} {ref}: evidence {ev.id} ({phase.label}, {kind.value})"
               + (f", file {ev.file.path} sha256 {ev.file.sha256[:12]}" if ev.file else "")
               + (f", linked to {', '.join(dict.fromkeys(findings))}" if findings else ""))


@evidence.command("list")
@click.argument("audit_id")
@click.argument("ref", required=False)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def evidence_list(app: AppContext, audit_id, ref, as_json) -> None:
    """Evidence entries with their ids and the findings they are linked to (of one requirement, or all)."""
    from qms_audit.model.common import number_key
    from qms_audit.services.auditing import requirement

    opened = _open(app, audit_id, reading=True)
    if ref is not None:
        requirement(opened, ref)
    snap = opened.snapshot
    rows = []
    for r, result in sorted(snap.results.items(), key=lambda kv: number_key(kv[0])):
        if ref is not None and r != ref:
            continue
        for ev in result.evidence:
            linked = [f.id for f in snap.findings.values() if ev.id in f.evidence_ids and f.withdrawn is None]
            rows.append((r, ev, sorted(linked)))
    if as_json:
        emit_json([{"ref": r, **ev.model_dump(mode="json", exclude_none=True), "findings": linked}
                   for r, ev, linked in rows])
        return
    if not rows:
        click.echo(f"no evidence recorded{' for ' + ref if ref else ''} yet")
        return
    print_table(["ref", "id", "phase", "kind", "text", "findings"],
                [(r, ev.id, ev.phase.value, ev.kind.value, ev.text[:60], ", ".join(linked))
                 for r, ev, linked in rows])


@evidence.command("edit")
@click.argument("audit_id")
@click.argument("ref")
@click.argument("evidence_id")
@click.option("--reason", required=True, help="Why the entry is changed (kept in the audit log).")
@click.option("--text", "-t", help="New description.")
@click.option("--reference", "-r", help="New reference ('' clears it).")
@click.option("--phase", "-p", type=PHASE, help="New PDCA phase.")
@click.option("--kind", "-k", type=KIND, help="New kind.")
@click.option("--sample", "sample_size", type=click.IntRange(min=1), help="New sample size.")
@click.option("--population", type=click.IntRange(min=1), help="New population.")
@click.option("--sample-note", help="New note on how the sample was drawn.")
@click.option("--no-sample", "clear_sample", is_flag=True, help="The entry was not sampled after all.")
@pass_app
def evidence_edit(app: AppContext, audit_id, ref, evidence_id, reason, text, reference, phase, kind, sample_size,
                  population, sample_note, clear_sample) -> None:
    """Correct an evidence entry; its file and collector stay, the old values go into the log with the reason."""
    from qms_audit.services.auditing import update_evidence

    ev = update_evidence(_open(app, audit_id), ref, evidence_id, actor=app.actor, reason=reason, text=text,
                         reference=reference, phase=phase, kind=kind, sample_size=sample_size,
                         population=population, sample_note=sample_note, clear_sample=clear_sample)
    click.echo(f"{audit_id} {ref}: evidence {ev.id} ({ev.phase.label}, {ev.kind.value})"
               + (f", edited by {ev.edited_by}" if ev.edited_by else ""))


@evidence.command("remove")
@click.argument("audit_id")
@click.argument("ref")
@click.argument("evidence_id")
@click.option("--reason", required=True)
@pass_app
def evidence_remove(app: AppContext, audit_id, ref, evidence_id, reason) -> None:
    """Remove a mistaken evidence entry and its links to findings (logged with the reason)."""
    from qms_audit.services.auditing import remove_evidence

    remove_evidence(_open(app, audit_id), ref, evidence_id, actor=app.actor, reason=reason)
    click.echo(f"{audit_id} {ref}: removed evidence {evidence_id}")


@audit.group("finding")
def finding() -> None:
    """Findings: further NCs on a requirement, their evidence links, auditee responses, withdrawals."""


@finding.command("add")
@click.argument("audit_id")
@click.argument("ref")
@click.option("--grade", "-g", type=GRADE, required=True, help="minor_nc, major_nc, observation or ofi.")
@click.option("--statement", "-s", required=True)
@click.option("--evidence", "evidence_text", default="", help="The objective evidence, summarised.")
@click.option("--due", type=DATE, help="When correction is due (default by grade).")
@pass_app
def finding_add(app: AppContext, audit_id, ref, grade, statement, evidence_text, due) -> None:
    """Raise a further finding against a requirement."""
    from qms_audit.services.auditing import raise_finding

    if isinstance(grade, int):
        raise BadInput("a finding has a grade (minor_nc, major_nc, observation, ofi), not a level")
    opened = _open(app, audit_id)
    f = raise_finding(opened, ref, grade, statement, actor=app.actor, evidence_text=evidence_text, due=due)
    click.echo(f"raised {f.id} ({f.grade.label.lower()}) on {ref}")
    minors = [x for x in opened.snapshot.findings_for(ref) if x.grade is Grade.MINOR_NC]
    if len(minors) >= opened.standard.scoring.escalate_minors_at:
        warn(f"{ref} now has {len(minors)} minor NCs: consider escalating to a major NC "
             "(several minors on one requirement can amount to a major)")


@finding.command("link")
@click.argument("audit_id")
@click.argument("finding_id")
@click.argument("evidence_ids", nargs=-1, required=True)
@pass_app
def finding_link(app: AppContext, audit_id, finding_id, evidence_ids) -> None:
    """Link evidence entries of the finding's requirement to it."""
    from qms_audit.services.auditing import link_evidence

    f = link_evidence(_open(app, audit_id), finding_id, evidence_ids, actor=app.actor)
    click.echo(f"{finding_id}: linked to {', '.join(f.evidence_ids)}")


@finding.command("unlink")
@click.argument("audit_id")
@click.argument("finding_id")
@click.argument("evidence_ids", nargs=-1, required=True)
@pass_app
def finding_unlink(app: AppContext, audit_id, finding_id, evidence_ids) -> None:
    """Take evidence entries out of a finding's links (the entries stay with the requirement)."""
    from qms_audit.services.auditing import unlink_evidence

    f = unlink_evidence(_open(app, audit_id), finding_id, evidence_ids, actor=app.actor)
    click.echo(f"{finding_id}: " + (f"linked to {', '.join(f.evidence_ids)}" if f.evidence_ids
                                    else "no evidence linked"))


@finding.command("respond")
@click.argument("audit_id")
@click.argument("finding_id")
@click.option("--position", type=click.Choice(["acknowledged", "disputed"]), required=True)
@click.option("--text", default="", help="The auditee's words; required when disputed.")
@click.option("--by", "by", required=True, help="Who responded for the auditee.")
@click.option("--resolved", is_flag=True, help="A dispute that was resolved.")
@pass_app
def finding_respond(app: AppContext, audit_id, finding_id, position, text, by, resolved) -> None:
    """Record the auditee's acknowledgement or diverging opinion."""
    from qms_audit.services.auditing import respond

    respond(_open(app, audit_id), finding_id, position=position, text=text, by=by, actor=app.actor,
            resolved=resolved)
    click.echo(f"{finding_id}: auditee {position}")


@finding.command("withdraw")
@click.argument("audit_id")
@click.argument("finding_id")
@click.option("--reason", required=True)
@pass_app
def finding_withdraw(app: AppContext, audit_id, finding_id, reason) -> None:
    """Withdraw a finding raised in error (logged with the reason)."""
    from qms_audit.services.auditing import withdraw_finding

    withdraw_finding(_open(app, audit_id), finding_id, reason=reason, actor=app.actor)
    click.echo(f"{finding_id}: withdrawn")


@audit.command("status")
@click.argument("audit_id")
@click.argument("status", type=click.Choice(["planned", "in_progress", "reported", "follow_up"]))
@click.option("--reason")
@pass_app
def status_cmd(app: AppContext, audit_id, status, reason) -> None:
    """Move an audit between planned, in_progress, reported and follow_up."""
    from qms_audit.services.auditing import set_status

    record = set_status(_open(app, audit_id), AuditStatus(status), actor=app.actor, reason=reason)
    click.echo(f"{audit_id}: {record.status.label}")


@audit.command("close")
@click.argument("audit_id")
@click.option("--note")
@pass_app
def close_cmd(app: AppContext, audit_id, note) -> None:
    """Close and seal an audit; afterwards it cannot be changed without reopening."""
    from qms_audit.services.auditing import close_audit

    close_audit(_open(app, audit_id), actor=app.actor, note=note)
    click.echo(f"{audit_id}: closed and sealed")


@audit.command("reopen")
@click.argument("audit_id")
@click.option("--reason", required=True)
@pass_app
def reopen_cmd(app: AppContext, audit_id, reason) -> None:
    """Reopen a closed audit (the reason is logged)."""
    from qms_audit.services.auditing import reopen_audit

    record = reopen_audit(_open(app, audit_id), actor=app.actor, reason=reason)
    click.echo(f"{audit_id}: reopened ({record.status.label})")


@audit.command("criteria")
@click.argument("audit_id")
@click.option("--move", is_flag=True, help="Move the audit to the workspace's current text (open audits only).")
@click.option("--reason", help="Why the criteria change (required with --move; logged).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def criteria_cmd(app: AppContext, audit_id: str, move: bool, reason: str | None, as_json: bool) -> None:
    """The text of the standard the audit is judged against, and what moving it to the current text would
    change (added, removed and reworded requirements, ratings that no longer fit)."""
    from dataclasses import asdict

    from qms_audit.services.auditing import criteria_change, move_criteria

    opened = _open(app, audit_id)
    pinned = opened.record.plan.criteria.sha256
    if move:
        found = move_criteria(opened, actor=app.actor, reason=reason or "")
    else:
        found, _ = criteria_change(opened)
    if as_json:
        emit_json({"audit": audit_id, "pinned_sha256": opened.record.plan.criteria.sha256, "moved": move,
                   **asdict(found)})
        return
    if move and found.same_text and pinned is not None:
        click.echo(f"{audit_id}: already judged against the workspace's current text; nothing to move")
    elif move:
        click.echo(f"{audit_id}: judged against {found.after} now (sha256 {opened.record.plan.criteria.sha256}); "
                   "logged")
    elif pinned is None:
        click.echo(f"{audit_id}: planned before criteria were pinned; judged against the workspace's file "
                   f"({found.after})")
    else:
        click.echo(f"{audit_id}: judged against {found.before}, pinned when planned (sha256 {pinned})")
        if found.same_text:
            click.echo("  the workspace's file holds the same text")
        else:
            label = " under the same version label: the version was not raised" if found.after == found.before \
                else ""
            click.echo(f"  the workspace's file holds another text ({found.after}{label})")
    if move:
        return
    for label, items in (("added", found.added), ("removed", found.removed), ("reworded", found.reworded),
                         ("would no longer fit", found.misfits)):
        if items:
            shown = ", ".join(items[:12]) + (f" and {len(items) - 12} more" if len(items) > 12 else "")
            click.echo(f"  {label}: {shown}")
    if found.scheme:
        click.echo(f"  rating scheme: {found.scheme}")
    if found.scoring:
        click.echo(f"  scoring rules: {', '.join(found.scoring)}")
    if not found.same_text or pinned is None:
        click.echo(f"  `qms-audit audit criteria {audit_id} --move --reason '...'` moves it (open audits only)")


@audit.command("approve")
@click.argument("audit_id")
@click.option("--note", help="Logged with the approval.")
@pass_app
def approve_cmd(app: AppContext, audit_id: str, note: str | None) -> None:
    """Approve the audit report as its lead auditor (an electronic signature; once the audit is reported)."""
    from qms_audit.services.auditing import approve_report

    approve_report(_open(app, audit_id), actor=app.actor, note=note)
    click.echo(f"{audit_id}: report approved by {app.actor} (signed and logged)")


@audit.command("log")
@click.argument("audit_id")
@click.option("--limit", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def log_cmd(app: AppContext, audit_id, limit, as_json) -> None:
    """The audit's event log, newest first."""
    from qms_audit.services.auditing import audit_store
    from qms_audit.store.eventlog import ordered

    entries = ordered(audit_store(app.workspace, audit_id).log.entries())
    if as_json:
        emit_json([e.model_dump(mode="json") for e in entries])
        return
    for e in reversed(entries[-limit:]):
        click.echo(f"{e.seq:>5}  {e.at:%Y-%m-%d %H:%M}  {e.actor:<18}  {e.action:<16} {e.summary}"
                   + (f"  (reason: {e.reason})" if e.reason else ""))


@click.command("score")
@click.argument("audit_id")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def score_cmd(app: AppContext, audit_id: str, as_json: bool) -> None:
    """Scores per clause and PDCA phase, coverage, verdict and maturity."""
    from qms_audit.domain.scoring import score_snapshot

    opened = _open(app, audit_id, reading=True)
    snap = opened.snapshot
    score = score_snapshot(opened.standard, snap)
    if as_json:
        emit_json({"audit": audit_id, "standard": opened.standard.key, **score.to_json()})
        return
    click.echo(f"{audit_id}: {score.verdict_label}")
    for reason in score.verdict_reasons:
        click.echo(f"  - {reason}")
    click.echo(f"overall {score.shown.text}, coverage {pct(score.coverage)}, "
               f"maturity {'—' if score.maturity.overall is None else f'{score.maturity.overall:.1f}'} of 4")
    click.echo("")
    print_table(["clause", "title", "score", "coverage", "band", "maturity"],
                [(n, c.title[:38], c.shown.text, pct(c.coverage), c.band_label + (" (capped)" if c.capped else ""),
                  "—" if c.maturity is None else f"{c.maturity:.1f}") for n, c in score.clauses.items()],
                right=[2, 3, 5])
    click.echo("")
    print_table(["phase", "score", "coverage", "assessed"],
                [(p, s.shown.text, pct(s.coverage), f"{s.assessed}/{s.applicable}") for p, s in score.pdca.items()],
                right=[1, 2, 3])
    if score.escalations:
        click.echo("")
        for item in score.escalations:
            click.echo(f"escalate? {item['ref']} has {item['minors']} minor NCs")


@click.command("verify")
@click.argument("audit_ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every audit, the NC register and the management reviews.")
@click.option("--report", "issued", type=click.Path(dir_okay=False, path_type=Path),
              help="An issued Word report of the audit: check the audit record against the seal it prints.")
@pass_app
def verify_cmd(app: AppContext, audit_ids: tuple[str, ...], all_: bool, issued: Path | None) -> None:
    """Check the hash-chained log, every record against it and every signature; exit 1 if anything was tampered
    with. With --report, also check that the audit is still as sealed when that report was issued."""
    from qms_audit.store.verify import check_issued_report, verify_audit, verify_register, verify_reviews

    ws = app.workspace
    targets = list(audit_ids) or (ws.recorded_audit_ids() if all_ else [])
    if not targets and not all_:
        raise BadInput("name an audit to verify, or pass --all")
    if issued is not None and len(targets) != 1:
        raise BadInput("--report checks one audit: name the audit the report is of")
    reports = [verify_audit(ws, a) for a in targets]
    if issued is not None:
        check_issued_report(ws, targets[0], issued, reports[0])
    if all_ and ws.nc_register_dir.is_dir():
        reports.append(verify_register(ws))
    if all_ and ws.reviews_dir.is_dir():
        reports.append(verify_reviews(ws))
    failed = 0
    for report in reports:
        for note in report.notes:
            click.echo(f"note: {report.label}: {note}")
        if report.ok:
            click.echo(f"ok  {report.label}: {plural(report.entries, 'log entry', 'log entries')}, "
                       f"{plural(report.records, 'record')}, {plural(report.evidence_files, 'evidence file')} "
                       "consistent")
        else:
            failed += 1
            for problem in report.problems:
                click.echo(f"TAMPERED  {problem}")
    if failed:
        raise click.exceptions.Exit(exit_codes.FINDINGS)


def _today() -> dt.date:
    from qms_audit.infra import clock

    return clock.today()
