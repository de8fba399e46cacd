"""Worker processes that read many audits at once (`services/portfolio.py`): from how many audits they pay,
and the fork server that starts them when the reading runs in a thread of a long-running app (the TUI)."""

from __future__ import annotations

import os

from qms_audit.infra.locations import Workspace

PARALLEL_FROM = 60  # below this many audits, starting worker processes costs more than it saves
READER_MODULE = "qms_audit.services.portfolio"  # what the workers run, loaded by the fork server beforehand


def start_process_server(workspace: Workspace) -> None:
    """Before a long-running app starts threads: start the fork server that starts the worker processes reading
    audits from its threads, when the workspace has enough audits to need them. Started now, from the main
    thread, while the standard streams are still the terminal's: a full-screen app replaces them, and the
    server and its resource tracker are handed one of them when they start. Cheap when there is no need: a
    small workspace loads nothing here."""
    try:
        many = len(os.listdir(workspace.audits_dir)) >= PARALLEL_FROM
    except OSError:
        many = False
    if not many:
        return
    import multiprocessing
    import sys

    if not sys.platform.startswith("linux") or "forkserver" not in multiprocessing.get_all_start_methods():
        return
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload([READER_MODULE])
    forkserver.ensure_running()
