"""`qms-audit init DIR`: a new workspace with the shipped standards and SOP templates."""

from __future__ import annotations

from pathlib import Path

import click

from qms_audit.cli.common import AppContext, pass_app
from qms_audit.workspace_setup import create_workspace


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo/--no-demo", default=False, help="Also copy the demo audit, to look around.")
@pass_app
def init(app: AppContext, directory: Path, demo: bool) -> None:
    """Create a workspace in DIRECTORY: standards/, sop_templates/ and audits/."""
    created = create_workspace(directory, with_demo=demo)
    click.echo(f"created workspace {created.root}")
    click.echo(f"  standards:     {len(list(created.standards_dir.glob('*.yaml')))} files")
    click.echo(f"  sop_templates: {len(list(created.sop_templates_dir.glob('*.j2')))} templates")
    click.echo(f"  audits:        {len(created.audit_ids())}")
    click.echo(f"next: cd {directory} && qms-audit standards list")
