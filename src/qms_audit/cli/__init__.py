"""The `qms-audit` command line. Every command is a thin shell over the same domain functions the TUI uses.

Heavy libraries (textual, python-docx, openpyxl) are imported inside the commands that need them.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

import click

from qms_audit import __version__
from qms_audit.cli.common import AppContext
from qms_audit.infra import exit_codes
from qms_audit.infra.errors import QmsError
from qms_audit.infra.i18n import set_language

DEBUG_ENV = "QMS_AUDIT_DEBUG"


# Each command's module is imported only when that command runs, so `qms-audit --version` or
# `qms-audit score` do not pay for the imports of every other command.
COMMANDS = {
    "init": "qms_audit.cli.workspace:init",
    "standards": "qms_audit.cli.standards:standards",
    "audit": "qms_audit.cli.audit:audit",
    "score": "qms_audit.cli.audit:score_cmd",
    "verify": "qms_audit.cli.audit:verify_cmd",
    "nc": "qms_audit.cli.capa:nc",
    "capa": "qms_audit.cli.capa:capa",
    "sop": "qms_audit.cli.sop:sop",
    "report": "qms_audit.cli.report:report",
    "docs": "qms_audit.cli.quality:docs",
    "credentials": "qms_audit.cli.quality:credentials",
    "profile": "qms_audit.cli.quality:profile",
    "checklist": "qms_audit.cli.report:checklist",
    "programme": "qms_audit.cli.management:programme",
    "trends": "qms_audit.cli.management:trends_cmd",
    "review": "qms_audit.cli.management:review",
    "generate": "qms_audit.cli.management:generate",
    "tui": "qms_audit.cli.tui:tui",
    "serve": "qms_audit.cli.serve:serve",
    "whoami": "qms_audit.cli.whoami:whoami",
    "signers": "qms_audit.cli.signers:signers",
    "demo": "qms_audit.cli.workspace:demo",
    "git": "qms_audit.cli.git:git",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        module = importlib.import_module(module_name)
        return getattr(module, attr)


@click.group(cls=LazyGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="qms-audit")
@click.option("--workspace", "-w", metavar="DIR",
              help="Workspace folder (default: $QMS_AUDIT_WORKSPACE, else the nearest folder upwards "
                   "that has standards/).")
@click.option("--as", "actor", metavar="NAME",
              help="Name recorded for changes (default: $QMS_AUDIT_USER, else the name saved with `whoami --set`).")
@click.option("--lang", "lang", metavar="CODE",
              help="Language to read in: en, id (Bahasa Indonesia) or ms (Bahasa Melayu) (default: "
                   "$QMS_AUDIT_LANG, else `language:` in institution.yaml, else en).")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None, actor: str | None, lang: str | None) -> None:
    """Audit a micro-credential quality management system from the terminal.

    Run without a command to open the auditor's TUI.
    """
    ctx.obj = AppContext(workspace_arg=workspace, actor_arg=actor, lang_arg=lang)
    # Every word the command or the TUI shows from here on is in the reader's language.
    set_language(ctx.obj.language)
    if ctx.invoked_subcommand is None:
        from qms_audit.tui.app import run_tui

        run_tui(ctx.obj.workspace, ctx.obj.actor_arg)


def main(argv: list[str] | None = None) -> None:
    code = run(argv)
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and turn every outcome into an exit code; users never see a traceback."""
    try:
        result = cli.main(args=argv, prog_name="qms-audit", standalone_mode=False)
        return result if isinstance(result, int) else exit_codes.OK
    except QmsError as exc:
        for line in exc.lines():
            click.echo(f"error: {line}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "qms-audit"
        click.echo(f"error: {exc.format_message()} (see `{command} --help`)", err=True)
        return exit_codes.BAD_INPUT
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return exit_codes.BAD_INPUT
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return exit_codes.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing left to say.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return exit_codes.OK
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        click.echo(f"error: internal error ({type(exc).__name__}: {exc}); set {DEBUG_ENV}=1 to see "
                   "the details and please report it", err=True)
        return exit_codes.INTERNAL
