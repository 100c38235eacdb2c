"""JupyterLab as a user sees it (issue 19 §4): Lab on 127.0.0.1, a notebook opened in headless
Chromium, run, and its figure seen on the page; the interactive run writes to its scratch build.

Driven over the DevTools protocol (a websocket; ``websocket-client`` comes with jupyter_server)
so that nothing is downloaded: the browser is Debian's chromium."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

websocket = pytest.importorskip("websocket")

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 90
NOTEBOOK = [
    "from paperkit import figures\nimport matplotlib.pyplot as plt\nimport os",
    "fig, ax = plt.subplots(figsize=(4, 3), layout='constrained')\nax.plot([0, 1, 4, 9])\n"
    "ax.set_xlabel('step')\nfigures.save(fig, 'own_lab_demo', paper='demo', tier='synthetic')\n"
    "plt.show()\nprint('build:', os.path.relpath(os.environ['PAPERKIT_BUILD_DIR']))",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, deadline: float) -> bytes:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 -- 127.0.0.1 only
                return r.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


class Page:
    """One browser tab over the DevTools protocol."""

    def __init__(self, ws_url: str) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.n = 0

    def call(self, method: str, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def js(self, expr: str):
        out = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in out:
            raise RuntimeError(f"{expr[:80]}: {out['exceptionDetails']}")
        return out.get("result", {}).get("value")

    def click(self, selector: str) -> None:
        """A real (trusted) mouse click on the left of the first element matching selector."""
        box = self.js(f"(() => {{ const r = document.querySelector('{selector}')"
                      ".getBoundingClientRect(); return [r.x + Math.min(20, r.width / 2), r.y + r.height / 2];"
                      " })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left",
                      clickCount=1)

    def prompt(self, i: int) -> str:
        """The execution prompt of cell ``i`` ("[ ]:", "[*]:" or "[3]:"; "" if not drawn yet)."""
        return self.js("(() => { const c = document.querySelectorAll('.jp-Notebook .jp-Cell')"
                       f"[{i}]; const p = c && c.querySelector('.jp-InputPrompt');"
                       " return p ? p.innerText.trim() : ''; })()") or ""

    def run_cells(self, n_cells: int, deadline: float) -> None:
        """Run the cells one by one as a user would (click the cell, Shift+Enter), waiting for
        each to finish. A key press that is lost (the page not ready) is sent again; a cell that
        has started is never sent twice (paperkit's interactive note prints on first import)."""
        for i in range(n_cells):
            sent = None
            while not re.fullmatch(r"\[\d+\]:", self.prompt(i)):
                now = time.monotonic()
                if now > deadline:
                    return
                if sent is None or (now - sent > 15 and self.prompt(i) in ("", "[ ]:")):
                    box = self.js("(() => { const r = document.querySelectorAll("
                                  f"'.jp-Notebook .jp-Cell')[{i}].getBoundingClientRect();"
                                  " return [r.x + Math.min(20, r.width / 2), r.y + 8]; })()")
                    for kind in ("mousePressed", "mouseReleased"):
                        self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                                  button="left", clickCount=1)
                    for kind in ("rawKeyDown", "keyUp"):
                        self.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter",
                                  windowsVirtualKeyCode=13, modifiers=8)
                    sent = now
                time.sleep(0.3)

    def wait(self, expr: str, deadline: float, what: str):
        while not self.js(expr):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.3)


@pytest.fixture
def lab(tmp_path, chromium):
    """A notebook folder served by JupyterLab, and a headless Chromium; both stopped after."""
    (tmp_path / "nb").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, tmp_path / "nb" / "demo.ipynb")
    port, dport, token = _free_port(), _free_port(), "paperkit-test"
    env = {k: v for k, v in os.environ.items() if k not in ("PAPERKIT_BATCH",
                                                            "PAPERKIT_BUILD_DIR")}
    env |= {"PYTHONPATH": str(ROOT), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
            "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"), "MPLBACKEND": "module://"
            "matplotlib_inline.backend_inline", "PAPERKIT_BUILD_DIR": str(tmp_path / "nb" / "lab")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={tmp_path / 'nb'}",
         f"--LabApp.workspaces_dir={tmp_path / 'ws'}", f"--LabApp.user_settings_dir={tmp_path}",
         "--allow-root"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    browser = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
         f"--remote-debugging-port={dport}", f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=1280,900", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield {"url": f"http://127.0.0.1:{port}/lab/tree/demo.ipynb?token={token}",
               "status": f"http://127.0.0.1:{port}/api/status?token={token}",
               "devtools": f"http://127.0.0.1:{dport}/json/list", "dir": tmp_path / "nb"}
    finally:
        for proc in (browser, server):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_a_notebook_runs_in_lab_and_shows_its_figure(lab, tmp_path):
    t0 = time.monotonic()
    deadline = t0 + DEADLINE_S
    _wait_http(lab["status"], deadline)
    tabs = json.loads(_wait_http(lab["devtools"], deadline))
    page = Page(next(t["webSocketDebuggerUrl"] for t in tabs if t["type"] == "page"))
    page.call("Page.enable")
    page.call("Page.navigate", url=lab["url"])
    page.wait("!!document.querySelector('.jp-Notebook .jp-Cell')", deadline, "the notebook")
    shown = ("!!document.querySelector('.jp-OutputArea-output img[src^=\"data:image/png\"]') && "
             "document.body.innerText.includes('build: lab') && "
             "document.body.innerText.includes('paperkit: interactive run')")
    page.run_cells(len(NOTEBOOK), deadline)
    while not page.js(shown):
        if time.monotonic() > deadline:
            raise AssertionError("no figure appeared: " + str(page.js(
                "document.querySelector('.jp-Notebook').innerText.slice(0, 2000)")))
        time.sleep(0.3)
    width = page.js("document.querySelector('.jp-OutputArea-output img').naturalWidth")
    assert width > 200
    assert (lab["dir"] / "lab" / "figures" / "demo" / "own_lab_demo.png").is_file()
    shot = base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"])
    (tmp_path / "lab.png").write_bytes(shot)
    if os.environ.get("PAPERKIT_SHOTS"):
        shutil.copy(tmp_path / "lab.png", Path(os.environ["PAPERKIT_SHOTS"]) / "lab.png")
    assert time.monotonic() - t0 < DEADLINE_S
