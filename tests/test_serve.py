"""`qms-audit serve`: the TUI in browser tabs over textual-serve; two tabs writing the same audit lose nothing."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import aiohttp
import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux processes")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(cli, workspace, tmp_path):
    assert cli("-w", workspace, "audit", "new", "--standard", "mc-qms", "--title", "t", "--auditee",
               "Faculty of Engineering", "--lead", "Dr Lee (QA Unit)", "--id", "web-audit").code == 0
    port = free_port()
    env = {**os.environ, "QMS_AUDIT_STATE": str(tmp_path / "state")}
    proc = subprocess.Popen([sys.executable, "-m", "qms_audit", "-w", str(workspace), "--as", "Web User", "serve",
                             "web-audit", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(proc.stdout.read().decode()[-2000:]) from None
            time.sleep(0.2)
    yield port, workspace
    proc.terminate()
    proc.wait(timeout=10)


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
