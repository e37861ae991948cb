"""The main job runs with the network cut off: no connection attempts, no failed-fetch warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from common import ROOT

GUARD = textwrap.dedent('''
    import json, os, socket

    _log = os.environ["WB_NET_LOG"]
    _local = ("127.0.0.1", "::1", "localhost")

    def _record(what):
        with open(_log, "a") as handle:
            handle.write(json.dumps(str(what)) + "\\n")

    _connect = socket.socket.connect
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _local:
            _record(address)
            raise OSError("network disabled by the workbench offline test")
        return _connect(self, address)
    socket.socket.connect = connect
    socket.socket.connect_ex = lambda self, address: connect(self, address) or 0

    _getaddrinfo = socket.getaddrinfo
    def getaddrinfo(host, *args, **kwargs):
        if host not in _local and host is not None:
            _record(host)
            raise socket.gaierror("name resolution disabled by the workbench offline test")
        return _getaddrinfo(host, *args, **kwargs)
    socket.getaddrinfo = getaddrinfo
''')

SUSPICIOUS = ("fetch", "urlopen", "connection", "resolve", "network", "download", "warning")


@pytest.mark.real_model
def test_demo_attempts_no_network_and_prints_no_warnings(tmp_path):
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    net_log = tmp_path / "net.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LITELLM", "HF_", "MLFLOW_", "WORKBENCH_"))}
    env.update(PYTHONPATH=str(guard), WB_NET_LOG=str(net_log), WORKBENCH_HOME=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "demo", "--lm", "qwen2.5-coder-0.5b",
         "--db", str(ROOT / "data" / "demo.duckdb")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )
    attempts = [json.loads(line) for line in net_log.read_text().splitlines()] if net_log.exists() else []
    assert attempts == [], f"network access attempted: {attempts}"
    assert out.stdout.count("=== [") == 3, out.stdout + out.stderr  # the SQL, retrieval and mixed questions
    assert "3 of 3 questions answered from agent evidence" in out.stdout, out.stdout
    assert "Logged MLflow run" in out.stdout, out.stderr
    noisy = [line for line in out.stderr.splitlines() if any(word in line.lower() for word in SUSPICIOUS)]
    assert noisy == [], out.stderr
    assert (tmp_path / "mlflow.db").exists()
