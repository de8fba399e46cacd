"""`qms-audit nc ...` and `qms-audit capa ...`: the NC register and corrective action."""

from __future__ import annotations

import click

from qms_audit.cli.common import AppContext, emit_json, pass_app, print_table
from qms_audit.cli.options import DATE, GRADE
from qms_audit.domain.capa_rules import missing_for_closure, stage
from qms_audit.domain.presentation import date
from qms_audit.infra.errors import BadInput
from qms_audit.model.audit import Grade


def _row_json(row) -> dict:
    f = row.finding
    return {
        "id": f.id, "grade": f.grade.value, "source": f.source.value, "audit": row.audit_id, "ref": f.ref,
        "unit": f.unit, "statement": f.statement, "stage": row.stage, "overdue": row.overdue,
        "next_due": row.next_due.isoformat() if row.next_due else None, "owners": row.owners,
        "raised_at": f.raised_at.isoformat(), "response_due": f.response_due.isoformat() if f.response_due else None,
    }


@click.group()
def nc() -> None:
    """The register of nonconformities and other findings, from audits and elsewhere."""


@nc.command("list")
@click.option("--open", "only_open", is_flag=True, help="Only findings whose CAPA is not closed.")
@click.option("--overdue", is_flag=True, help="Only overdue nonconformities.")
@click.option("--audit", "audit_id", help="Only this audit's findings.")
@click.option("--all-grades", is_flag=True, help="Include observations and OFIs (default: NCs only).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def nc_list(app: AppContext, only_open, overdue, audit_id, all_grades, as_json) -> None:
    """Every NC with grade, stage, owner, next due date and overdue marking."""
    from qms_audit.services import capa

    rows = [r for r in capa.register_rows(app.workspace)
            if (all_grades or r.finding.grade.is_nc) and r.stage != "withdrawn"
            and (not only_open or r.stage != "closed") and (not overdue or r.overdue)
            and (audit_id is None or r.audit_id == audit_id)]
    if as_json:
        emit_json([_row_json(r) for r in rows])
        return
    if not rows:
        click.echo("no findings match")
        return
    print_table(["id", "grade", "source", "audit/unit", "ref", "stage", "owner", "due", ""],
                [(r.finding.id, r.finding.grade.short, r.finding.source.label, r.audit_id or r.finding.unit or "",
                  r.finding.ref or "", r.stage, ", ".join(r.owners), date(r.next_due),
                  "OVERDUE" if r.overdue else "") for r in rows])


@nc.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=__import__("pathlib").Path), required=True)
@click.option("--open", "only_open", is_flag=True, help="Only findings whose CAPA is not closed.")
@click.option("--all-grades", is_flag=True, help="Include observations and OFIs (default: NCs only).")
@pass_app
def nc_export(app: AppContext, output, only_open, all_grades) -> None:
    """The workspace's NC/CAPA register as an Excel workbook (a filterable table, coloured by grade and overdue)."""
    from qms_audit.infra.files import atomic_write_bytes
    from qms_audit.render.register_xlsx import build_register
    from qms_audit.services import capa

    if output.suffix.lower() != ".xlsx":
        raise BadInput(f"{output}: the file name should end in .xlsx")
    rows = [r for r in capa.register_rows(app.workspace)
            if (all_grades or r.finding.grade.is_nc) and r.stage != "withdrawn"
            and (not only_open or r.stage != "closed")]
    atomic_write_bytes(output, build_register(app.workspace, rows))
    click.echo(f"wrote {output} ({len(rows)} findings)")


@nc.command("show")
@click.argument("finding_id")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def nc_show(app: AppContext, finding_id, as_json) -> None:
    """One finding with its CAPA record and what it still needs to close."""
    from qms_audit.services import capa

    located = capa.locate(app.workspace, finding_id)
    f = located.finding
    if as_json:
        emit_json({**f.model_dump(mode="json", exclude_none=True), "stage": stage(f),
                   "missing_for_closure": missing_for_closure(f) if f.grade.is_nc else []})
        return
    click.echo(f"{f.id}  {f.grade.label}  ({f.source.label}{', audit ' + f.audit_id if f.audit_id else ''})")
    click.echo(f"requirement {f.ref or '-'}; unit {f.unit or '-'}; raised {date(f.raised_at)} by {f.raised_by}")
    click.echo(f"statement: {f.statement}")
    if f.evidence:
        click.echo(f"evidence: {f.evidence}")
    if f.evidence_ids:
        click.echo(f"evidence entries: {', '.join(f.evidence_ids)}")
    if f.response:
        said = f": {f.response.text}" if f.response.text else ""
        click.echo(f"auditee ({f.response.by}): {f.response.position}{said}")
    if f.withdrawn:
        click.echo(f"withdrawn: {f.withdrawn}")
        return
    if not f.grade.is_nc:
        return
    click.echo(f"stage: {stage(f)}" + (f"; response due {date(f.response_due)}" if f.response_due else ""))
    c = f.capa
    if c:
        for label, step in (("correction", c.correction), ("containment", c.containment),
                            ("similar NCs", c.similar), ("risk update", c.risk_update), ("QMS update", c.qms_update)):
            if step:
                click.echo(f"{label}: {step.text}  ({step.by}, {date(step.at)})")
        if c.root_cause:
            click.echo(f"root cause ({c.root_cause.method.value}): {c.root_cause.statement}  ({c.root_cause.by})")
        for a in c.actions:
            click.echo(f"action {a.id}: {a.description}  owner {a.owner}, due {date(a.due)}, {a.status.value}"
                       + (f" {date(a.done_at)}" if a.done_at else ""))
        for v in c.verifications:
            note = f"; {v.note}" if v.note else ""
            click.echo(f"verified {date(v.on)} by {v.by} ({v.method}): {v.result.value}{note}")
        if c.closed_at:
            click.echo(f"closed {date(c.closed_at)} by {c.closed_by}")
    missing = missing_for_closure(f)
    if missing and stage(f) != "closed":
        click.echo("to close it: " + "; ".join(missing))


@nc.command("new")
@click.option("--source", required=True,
              help="external_audit, complaint, learner_feedback, industry_feedback, management_review, other.")
@click.option("--grade", "-g", type=GRADE, required=True, help="minor_nc or major_nc.")
@click.option("--unit", required=True, help="The unit concerned.")
@click.option("--unit-code", help="Short code for the id (default: the unit's initials).")
@click.option("--statement", "-s", required=True)
@click.option("--evidence", default="")
@click.option("--standard", help="Standard id, with --ref.")
@click.option("--ref", help="Requirement concerned, with --standard.")
@click.option("--due", type=DATE, help="When correction is due (not before today, the day it is raised).")
@pass_app
def nc_new(app: AppContext, source, grade, unit, unit_code, statement, evidence, standard, ref, due) -> None:
    """Raise an NC from outside an audit (complaint, feedback, management review, external audit)."""
    from qms_audit.services import capa

    if isinstance(grade, int) or not isinstance(grade, Grade):
        raise BadInput("--grade must be minor_nc or major_nc")
    if bool(standard) != bool(ref):
        raise BadInput("--ref and --standard go together")
    f = capa.raise_nc(app.workspace, source=source, statement=statement, grade=grade, unit=unit, actor=app.actor,
                      unit_code=unit_code, ref=ref, standard=standard, evidence=evidence, due=due)
    click.echo(f"raised {f.id} ({f.grade.label.lower()}, {f.source.label}); response due {date(f.response_due)}")


@click.group()
def capa() -> None:
    """Corrective action: correction, root cause, actions, effectiveness, closure (ISO 9001 10.2)."""


@capa.command("update")
@click.argument("finding_id")
@click.option("--correction", help="Immediate correction made.")
@click.option("--containment", help="How the NC was contained and its consequences dealt with.")
@click.option("--root-cause", help="The cause found.")
@click.option("--method", help="Root-cause method: 5-whys, ishikawa, fault-tree, 8d, pareto, process-mapping, other.")
@click.option("--analysis", help="The working behind the root cause.")
@click.option("--similar", help="Result of checking whether similar NCs exist or could occur.")
@click.option("--action", "actions", multiple=True, help="A corrective action; repeatable.")
@click.option("--owner", "owners", multiple=True, help="Owner of each --action (one for all, or one each).")
@click.option("--due", "dues", type=DATE, multiple=True,
              help="Due date of each --action (one, or one each); not before the NC was raised.")
@click.option("--done", multiple=True, help="Mark action (e.g. A1) done; repeatable.")
@click.option("--cancel", multiple=True, help="Cancel action (e.g. A2); repeatable.")
@click.option("--done-note", help="Note for --done/--cancel.")
@click.option("--risk-update", help="How risks and opportunities were updated.")
@click.option("--qms-update", help="Changes made to the QMS.")
@pass_app
def capa_update(app: AppContext, finding_id, correction, containment, root_cause, method, analysis, similar, actions,
                owners, dues, done, cancel, done_note, risk_update, qms_update) -> None:
    """Record CAPA steps for an NC."""
    from qms_audit.services import capa as capa_mod

    planned = []
    if actions:
        if len(owners) not in (1, len(actions)) or len(dues) not in (1, len(actions)):
            raise BadInput("give one --owner and one --due for all actions, or one of each per --action")
        for i, description in enumerate(actions):
            planned.append((description, owners[i if len(owners) > 1 else 0], dues[i if len(dues) > 1 else 0]))
    elif owners or dues:
        raise BadInput("--owner and --due describe an --action; give the action too")
    f = capa_mod.update(app.workspace, finding_id, actor=app.actor, correction=correction, containment=containment,
                        root_cause=root_cause, method=method, analysis=analysis, similar=similar, actions=planned,
                        done=done, cancel=cancel, done_note=done_note, risk_update=risk_update,
                        qms_update=qms_update)
    click.echo(f"{finding_id}: {stage(f)}")


@capa.command("verify")
@click.argument("finding_id")
@click.option("--by", "by", required=True, help="The verifier (not an action owner).")
@click.option("--result", type=click.Choice(["effective", "not-effective"]), required=True)
@click.option("--method", required=True, help="How effectiveness was checked.")
@click.option("--note")
@click.option("--on", "on", type=DATE, help="Date of the check (default today).")
@pass_app
def capa_verify(app: AppContext, finding_id, by, result, method, note, on) -> None:
    """Record the effectiveness review; 'not-effective' reopens the CAPA."""
    from qms_audit.services import capa as capa_mod

    f = capa_mod.verify(app.workspace, finding_id, by=by, result=result, method=method, actor=app.actor, note=note,
                        on=on)
    click.echo(f"{finding_id}: {stage(f)}")


@capa.command("close")
@click.argument("finding_id")
@click.option("--note")
@pass_app
def capa_close(app: AppContext, finding_id, note) -> None:
    """Close a CAPA whose effectiveness was verified."""
    from qms_audit.services import capa as capa_mod

    capa_mod.close(app.workspace, finding_id, actor=app.actor, note=note)
    click.echo(f"{finding_id}: closed")


capa.add_command(nc_show, "show")
