"""`qms-audit whoami`: the name every change is recorded under, and where it comes from."""

from __future__ import annotations

import click

from qms_audit.cli.common import AppContext, emit_json, pass_app


@click.command("whoami")
@click.option("--set", "name", metavar="NAME", help="Save NAME as yours (in your config folder, not the workspace).")
@click.option("--unit", metavar="UNIT", help="Your home unit, saved with --set (independence checks use it).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def whoami(app: AppContext, name: str | None, unit: str | None, as_json: bool) -> None:
    """Show (or save, with --set) who changes are recorded as."""
    from qms_audit.infra.errors import BadInput
    from qms_audit.infra.identity import NO_IDENTITY, identity_path, resolve_identity, save_identity

    if unit is not None and name is None:
        raise BadInput("--unit goes with --set NAME (the unit is saved with the name)")
    if name is not None:
        saved = save_identity(name, unit)
        click.echo(f"saved: changes are recorded as {saved.label} (in {identity_path()})")
        if app.actor_arg or _env_user():
            click.echo("note: --as or QMS_AUDIT_USER still wins over the saved name while it is given", err=True)
        return
    identity = resolve_identity(app.actor_arg)
    if as_json:
        emit_json(None if identity is None else {"name": identity.name, "unit": identity.unit,
                                                 "source": identity.source})
        return
    if identity is None:
        raise BadInput(NO_IDENTITY)
    click.echo(f"{identity.label}  (from {identity.source})")


def _env_user() -> bool:
    import os

    from qms_audit.infra.identity import ENV_USER

    return bool(os.environ.get(ENV_USER, "").strip())
