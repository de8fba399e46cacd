"""`qms-audit signers`: the keys whose signatures on seals and reopenings this workspace trusts."""

from __future__ import annotations

import click

from qms_audit.cli.common import AppContext, emit_json, pass_app, print_table


@click.group("signers")
def signers() -> None:
    """Trusted signers: the public keys `verify` accepts on seals and reopenings (a logged list)."""


@signers.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def list_signers(app: AppContext, as_json: bool) -> None:
    """Every key the workspace has trusted, who added it and how, and when trust ended."""
    from qms_audit.store.signers import trusted_signers

    found = trusted_signers(app.workspace)
    if as_json:
        emit_json([s.model_dump(mode="json", exclude_none=True) for s in found])
        return
    if not found:
        click.echo("no trusted signers yet: the first person to close an audit is registered with their key")
        return
    print_table(["key id", "name", "since", "how", "added by", "trust ended"], [
        (s.key_id, s.name, f"{s.added_at:%Y-%m-%d}", s.how, s.added_by,
         f"{s.removed_at:%Y-%m-%d} by {s.removed_by}: {s.removal_reason}" if s.removed_at else "")
        for s in found])


@signers.command("me")
def my_key() -> None:
    """Your own public key (created now if you have none), to give to whoever adds trusted signers."""
    from qms_audit.infra.signing import SigningKey

    key = SigningKey.own()
    click.echo(f"{key.public.text}  (key id {key.public.id}; private key in {key.path})")


@signers.command("add")
@click.argument("name")
@click.argument("key")
@pass_app
def add_cmd(app: AppContext, name: str, key: str) -> None:
    """Trust KEY (ed25519:BASE64, as `qms-audit signers me` prints it) as NAME's signing key (logged)."""
    from qms_audit.services.signers import add_signer

    added = add_signer(app.workspace, key, name, actor=app.actor)
    click.echo(f"trusted {added.name}'s key {added.key_id} (logged)")


@signers.command("remove")
@click.argument("key_id")
@click.option("--reason", required=True, help="Why the key is no longer trusted (lost, left the unit, ...).")
@pass_app
def remove_cmd(app: AppContext, key_id: str, reason: str) -> None:
    """End the trust in a key from now on; what it signed before stays valid (logged)."""
    from qms_audit.services.signers import remove_signer

    ended = remove_signer(app.workspace, key_id, actor=app.actor, reason=reason)
    click.echo(f"{ended.name}'s key {ended.key_id} is no longer trusted (logged)")
