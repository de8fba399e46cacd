from __future__ import annotations

from qms_audit import __version__
from tests.conftest import REPO, run_process


def test_version_and_help(cli):
    result = cli("--version")
    assert result.code == 0
    assert __version__ in result.out
    result = cli("--help")
    assert result.code == 0
    for command in ("init", "standards"):
        assert command in result.out


def test_unknown_command_is_a_usage_error(cli):
    result = cli("-w", REPO, "no-such-command")
    assert result.code == 2
    assert "No such command" in result.err
    assert len(result.err_lines) == 1


def test_console_entry_point_runs_as_a_process():
    result = run_process("--version", cwd=REPO)
    assert result.code == 0, result.err
    assert __version__ in result.out
