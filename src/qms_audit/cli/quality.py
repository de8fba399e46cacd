"""`qms-audit docs check` (desk review), `qms-audit credentials check` and `qms-audit profile ...`."""

from __future__ import annotations

from pathlib import Path

import click

from qms_audit.cli.common import AppContext, emit_json, pass_app, print_table, progress_bar
from qms_audit.infra import exit_codes


@click.group("docs")
def docs() -> None:
    """Desk review of the institution's own documents."""


@docs.command("check")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--audit", "audit_id", help="Attach the results as documented-plan evidence to this audit.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--date", "on", type=__import__("qms_audit.cli.options", fromlist=["DATE"]).DATE,
              help="Review as of this date (default today).")
@pass_app
def docs_check(app: AppContext, folder: Path, audit_id: str | None, as_json: bool, on) -> None:
    """Which required SOPs exist in FOLDER, are they complete, approved and not overdue for review."""
    import os

    from qms_audit.infra import clock
    from qms_audit.services.deskreview import desk_review

    review, attached = desk_review(app.workspace, folder, today=on or clock.today(), actor=app.actor,
                                   audit_id=audit_id, progress=progress_bar("reading documents"),
                                   workers=min(4, os.cpu_count() or 1))
    if as_json:
        emit_json({**review.to_json(), "attached_evidence": attached})
    else:
        click.echo(f"Desk review of {folder}: {review.documents} document(s) read, "
                   f"{len(review.unreadable)} unreadable, {len(review.unrecognised)} not an SOP")
        several = len({s.standard for s in review.sops}) > 1
        rows = [((f"{s.standard}: " if several else "") + s.sop_id, ", ".join(s.states), s.confidence or "",
                 (s.metadata.version or "") if s.metadata else "",
                 ("yes" if s.metadata and s.metadata.approved else "no") if s.document else "",
                 s.review_due.isoformat() if s.review_due else "") for s in review.sops]
        print_table(["SOP", "states", "recognised", "version", "approved", "review due"], rows)
        for s in review.sops:
            details = s.details()
            if details:
                click.echo(f"\n{s.sop_id} ({s.standard}):")
                for line in details:
                    click.echo(f"  {line}")
        for name, reason in review.unreadable:
            click.echo(f"skipped {name}: {reason}")
        if attached:
            click.echo(f"attached {attached} evidence entr{'y' if attached == 1 else 'ies'} to audit {audit_id}")
    if review.gaps:
        raise click.exceptions.Exit(exit_codes.FINDINGS)


@click.group("credentials")
def credentials() -> None:
    """The micro-credential catalogue against the EU standard elements."""


@credentials.command("check")
@click.argument("catalogue", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.option("--date", "on", type=__import__("qms_audit.cli.options", fromlist=["DATE"]).DATE,
              help="Check dates against this day (default today).")
@pass_app
def credentials_check(app: AppContext, catalogue: Path, as_json: bool, on) -> None:
    """Check every micro-credential in a catalogue (.xlsx or .csv) for the EU Annex I mandatory elements."""
    from qms_audit.infra import clock
    from qms_audit.infra.errors import NotFound
    from qms_audit.services.credentials import check_catalogue
    from qms_audit.services.profile import maybe_profile

    try:
        workspace = app.workspace
    except NotFound:  # the check works outside a workspace too, with the default credit and ECTS hours
        workspace = None
    profile = maybe_profile(workspace) if workspace is not None else None
    result = check_catalogue(catalogue, today=on or clock.today(),
                             credit_hours=profile.credit_hours if profile else 40.0,
                             ects_hours=profile.ects_hours if profile else 27.5)
    if as_json:
        emit_json(result.to_json())
    else:
        click.echo(f"{result.aligned} of {len(result.rows)} micro-credentials carry every EU Annex I mandatory "
                   f"element ({result.file})")
        rows = [(r.row, r.title[:40] or "(no title)", "yes" if r.aligned else "NO", r.ects or "",
                 "; ".join(r.problems)[:110]) for r in result.rows]
        print_table(["row", "micro-credential", "aligned", "ECTS", "problems"], rows)
        if result.missing_columns:
            click.echo("columns not found: " + ", ".join(result.missing_columns))
    if result.aligned < len(result.rows):
        raise click.exceptions.Exit(exit_codes.FINDINGS)


@click.group("profile")
def profile() -> None:
    """The institution profile (institution.yaml) SOP drafts are filled from."""


@profile.command("init")
@click.option("--force", is_flag=True, help="Replace an existing institution.yaml.")
@pass_app
def profile_init(app: AppContext, force: bool) -> None:
    """Write a commented example institution.yaml to edit."""
    from qms_audit.infra.errors import BadInput
    from qms_audit.infra.files import atomic_write_text
    from qms_audit.services.profile import EXAMPLE_PROFILE

    path = app.workspace.profile_path
    if path.exists() and not force:
        raise BadInput(f"{app.workspace.relative(path)} already exists (pass --force to replace it)")
    atomic_write_text(path, EXAMPLE_PROFILE)
    click.echo(f"wrote {app.workspace.relative(path)}: edit it, then run `qms-audit profile validate`")


@profile.command("validate")
@pass_app
def profile_validate(app: AppContext) -> None:
    """Check institution.yaml; one line per problem."""
    from qms_audit.services.profile import load_profile

    p = load_profile(app.workspace)
    click.echo(f"ok  {app.workspace.relative(app.workspace.profile_path)} ({p.name}: {len(p.units)} units, "
               f"{len(p.people)} people)")


@profile.command("show")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def profile_show(app: AppContext, as_json: bool) -> None:
    """The institution profile, validated."""
    from qms_audit.services.profile import load_profile

    p = load_profile(app.workspace)
    if as_json:
        emit_json(p.model_dump(mode="json"))
        return
    click.echo(f"{p.name} ({p.short_name}), {p.city + ', ' if p.city else ''}{p.country}")
    click.echo(f"manages micro-credentials: {p.mc_unit}; certification: {p.certification_unit}; "
               f"quality: {p.quality_unit}")
    print_table(["role", "person"], list(p.roles.model_dump().items()))


@profile.command("schema")
def profile_schema() -> None:
    """The JSON Schema of institution.yaml."""
    import json

    from qms_audit.schemas import profile_schema as make

    click.echo(json.dumps(make(), indent=2, ensure_ascii=False))
