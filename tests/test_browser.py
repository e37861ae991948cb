"""The quickstart in a real JupyterLab, driven by Chromium through Playwright: it runs, the trace viewer renders,
and the browser console shows no errors. Screenshots go to outputs/screenshots/."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "outputs" / "screenshots"
RUN_LIMIT_S = 900


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(folder: Path):
    port, token = _free_port(), "workbench-test"
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--ServerApp.token={token}", "--LabApp.expose_app_in_browser=True", f"--notebook-dir={folder}",
               "--ServerApp.disable_check_xsrf=True"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    # Render every cell (JupyterLab 4 hides cells outside the viewport by default), in a private settings folder.
    settings = folder.parent / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    news = folder.parent / "lab-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(folder.parent / "lab-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(folder.parent / "lab-workspaces")}
    log = (SHOTS / "jupyterlab.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            time.sleep(0.5)
        else:
            raise RuntimeError(f"JupyterLab did not start in 90 s; see {SHOTS / 'jupyterlab.log'}")
        yield url, token
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.mark.real_model
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed (make test installs it: "
                    "apt-get install chromium)")
def test_quickstart_runs_in_jupyterlab_and_the_trace_viewer_renders_without_console_errors(tmp_path):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    folder = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", folder)
    errors: list[str] = []
    with jupyterlab(folder) as (url, token), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.goto(f"{url}/lab/tree/01_quickstart.ipynb?token={token}")
        page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell')",
                               timeout=120_000)
        page.wait_for_function("() => { const w = window.jupyterapp.shell.currentWidget;"
                               " return w && w.sessionContext && w.sessionContext.session"
                               " && w.sessionContext.session.kernel; }", timeout=120_000)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget; const cells = w.content.widgets;"
            " const code = cells.filter(c => c.model.type === 'code');"
            " return code.every(c => c.model.executionCount !== null)"
            " && w.sessionContext.session.kernel.status === 'idle'; }",
            timeout=RUN_LIMIT_S * 1000, polling=2000)
        failed = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        tracebacks = [t for t in failed.all_inner_texts() if "Traceback" in t or "Error" in t]
        answer = page.locator(".jp-OutputArea-output", has_text="Answer").first
        answer.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "quickstart.png"))
        summary = page.locator(".jp-OutputArea-output .widget-html", has_text="LM calls").first
        summary.wait_for(timeout=60_000)
        page.get_by_text(re.compile(r"#\d+ \w+ · .* · (cached|\d+\+\d+ tokens) · ")).first.wait_for(timeout=60_000)
        timeline = page.locator(".jp-OutputArea-output .widget-output .js-plotly-plot").first
        timeline.wait_for(timeout=60_000)
        summary.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "trace-viewer.png"))
        browser.close()
    assert not tracebacks, tracebacks
    assert not errors, "browser console errors:\n" + "\n".join(errors)
