"""`qms-audit serve`: the TUI in browser tabs over textual-serve; two tabs writing the same audit lose nothing, the
page loads nothing from the internet, and a port that cannot be used is one line of error."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import aiohttp
import pytest

from tests.conftest import run_process

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux processes")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(*args: str, env: dict[str, str]):
    """`qms-audit ARGS --port N` as a real process on a free loopback port, answering HTTP; yields N."""
    port = free_port()
    # A file rather than a pipe: nobody reads the server's log while it runs, and a full pipe would stall it
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([sys.executable, "-m", "qms_audit", *args, "--port", str(port)],
                                env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise AssertionError(log.read().decode(errors="replace")[-2000:]) from None
                    time.sleep(0.2)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture
def server(cli, workspace, tmp_path):
    assert cli("-w", workspace, "audit", "new", "--standard", "mc-qms", "--title", "t", "--auditee",
               "Faculty of Engineering", "--lead", "Dr Lee (QA Unit)", "--id", "web-audit").code == 0
    with serving("-w", str(workspace), "--as", "Web User", "serve", "web-audit",
                 env={"QMS_AUDIT_STATE": str(tmp_path / "state")}) as port:
        yield port, workspace


class Tab:
    def __init__(self, ws) -> None:
        self.ws = ws
        self.output = bytearray()

    async def pump(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.output.extend(message.data)
            elif message.type == aiohttp.WSMsgType.TEXT:
                self.output.extend(message.data.encode())

    async def wait_for(self, text: bytes, timeout: float = 25) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {text!r}")
            await asyncio.sleep(0.1)

    async def keys(self, data: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", data]))


async def test_page_is_served_on_localhost_and_two_tabs_write_safely(server):
    port, workspace = server
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/").read().decode()
    assert "textual" in page.lower()
    async with aiohttp.ClientSession() as session:
        url = f"ws://127.0.0.1:{port}/ws?width=110&height=32"
        async with session.ws_connect(url) as ws_a, session.ws_connect(url) as ws_b:
            tab_a, tab_b = Tab(ws_a), Tab(ws_b)
            pumps = [asyncio.create_task(tab_a.pump()), asyncio.create_task(tab_b.pump())]
            await tab_a.wait_for(b"web-audit")
            await tab_b.wait_for(b"web-audit")
            await asyncio.sleep(1.0)
            await tab_a.keys("2")  # tab A rates 1.1.a good practice
            await asyncio.sleep(1.5)
            await tab_b.keys("1")  # tab B, still showing the old state, rates the same requirement
            await tab_b.wait_for(b"Not saved")
            for task in pumps:
                task.cancel()
    results = json.loads((workspace / "audits" / "web-audit" / "results" / "clause-01.json").read_text())["results"]
    assert results["1.1.a"]["grade"] == "good_practice"  # tab A's rating was not silently overwritten
    assert results["1.1.a"]["rated_by"] == "Web User"


async def test_management_dashboard_is_reachable_in_the_browser(server):
    port, _workspace = server
    url = f"ws://127.0.0.1:{port}/ws?width=110&height=40"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        tab = Tab(ws)
        pump = asyncio.create_task(tab.pump())
        await tab.wait_for(b"web-audit")
        await asyncio.sleep(1.0)
        await tab.keys("\x10")  # ctrl+p: the command palette
        await asyncio.sleep(1.0)
        await tab.keys("Management dashboard")
        await asyncio.sleep(1.0)
        await tab.keys("\r")
        await tab.wait_for(b"Mean audit score per year")
        await tab.wait_for(b"Audit programme")
        pump.cancel()


BUSY = "error: port {port} on 127.0.0.1 is in use (another qms-audit serve?); choose another with --port"


def test_a_busy_port_is_one_line_of_error_and_nothing_else(workspace):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_process("-w", workspace, "serve", "--port", str(port), timeout=30)
    assert result.code == 2
    assert result.err_lines == [BUSY.format(port=port)]
    assert result.out == ""  # no banner promising a server that never started


def test_a_port_taken_after_the_check_is_still_one_line_of_error(workspace):
    # Another program can take the port between the check and the server's own bind; skipping the check makes
    # the server meet the busy port itself.
    script = ("import sys, qms_audit.cli.serve as serve; serve.check_can_listen = lambda host, port: None; "
              "from qms_audit.cli import main; main(sys.argv[1:])")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-c", script, "-w", str(workspace), "serve", "--port", str(port)],
                              capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 2
    assert [line for line in proc.stderr.splitlines() if line.strip()] == [BUSY.format(port=port)]
    assert "Traceback" not in proc.stdout + proc.stderr


def test_an_address_this_machine_does_not_have_is_one_line_of_error(workspace):
    result = run_process("-w", workspace, "serve", "--host", "203.0.113.1", "--port", str(free_port()), timeout=30)
    assert result.code == 2
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith("error: cannot listen on 203.0.113.1: it is not an address of this machine")
    assert result.out == ""


URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>()]+")
CSS_URL = re.compile(r"url\(\s*[\"']?([^\"')]+)")
TEXT_TYPES = ("text/html", "text/css", "text/javascript", "application/javascript")


class References(HTMLParser):
    """Every href and src in a page: what a browser fetches besides what its styles name with url()."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("href", "src") and value]


def test_the_page_and_everything_it_loads_come_from_the_local_server(workspace, tmp_path):
    with serving("-w", str(workspace), "serve", env={"QMS_AUDIT_USER": "Offline Auditor",
                                                     "QMS_AUDIT_STATE": str(tmp_path / "state")}) as port:
        local = f"127.0.0.1:{port}"
        pending, loaded = [f"http://{local}/"], set()
        while pending:
            url = pending.pop()
            if url in loaded:
                continue
            assert urllib.parse.urlsplit(url).netloc == local, url
            with urllib.request.urlopen(url, timeout=5) as response:
                body, kind = response.read(), response.headers.get_content_type()
            assert body, url
            loaded.add(url)
            if kind not in TEXT_TYPES:
                continue  # fonts and images: a URL in their metadata is never fetched
            text = body.decode()
            # Comments are never fetched either (xterm.css credits its origins by URL in its licence header)
            readable = re.sub(r"<!--.*?-->", "", text, flags=re.S) if kind == "text/html" else text
            readable = re.sub(r"/\*.*?\*/", "", readable, flags=re.S) if kind == "text/css" else readable
            assert [u for u in URL.findall(readable) if urllib.parse.urlsplit(u).netloc != local] == [], url
            references = CSS_URL.findall(readable)
            if kind == "text/html":
                parser = References()
                parser.feed(readable)
                references += parser.found
            pending += [urllib.parse.urljoin(url, ref) for ref in references if not ref.startswith("data:")]
    paths = {urllib.parse.urlsplit(url).path for url in loaded}
    assert {"/", "/static/css/xterm.css", "/static/js/textual.js", "/static/images/background.png",
            "/static/fonts/RobotoMono-VariableFont_wght.ttf"} <= paths
