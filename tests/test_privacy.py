"""Privacy: pasted prompts never leave the machine. No test may open a connection, and the app opens no socket at all.

1. tests/conftest.py's autouse fixture makes every outbound attempt in the test process raise.
2. Real processes — the CLI (count, cost, models, demo, project with CSV, prices check) and the
   desktop app (start-up, counting, projecting, CSV / PNG / HTML export; the export run is driven
   through tests/support/run_app.py) — run with a Python audit hook that records every socket, DNS
   and HTTP event: there must be none.
3. Where strace is available and allowed, the app and `count` also run under
   `strace -f -e trace=network`, which sees what C++ (Qt) does as well: no IPv4/IPv6 socket.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
LAUNCHER = ROOT / "tests" / "support" / "run_app.py"  # the real app, driven by a test script

AUDITED = textwrap.dedent("""
    import json, os, sys
    OUT = os.environ["AUDIT_OUT"]
    NET = ("socket.", "urllib.", "http.client.", "ftplib.", "smtplib.", "poplib.", "imaplib.",
           "nntplib.", "telnetlib.", "webbrowser.", "ssl.")

    def hook(event, args):
        if event.startswith(NET):
            with open(OUT, "a", encoding="utf-8") as out:  # at once: the app may end with os._exit
                out.write(json.dumps([event, repr(args)[:300]]) + "\\n")

    sys.addaudithook(hook)
    sys.path.insert(0, os.environ["APP_ROOT"])
    sys.argv = [os.environ["APP_ENTRY"], *json.loads(os.environ["APP_ARGS"])]
    import runpy
    runpy.run_path(sys.argv[0], run_name="__main__")  # main.py, or the tests' launcher of the app
""")

EXPORT = textwrap.dedent("""
    import os
    from pathlib import Path
    from PySide6.QtCore import QTimer

    OUT = Path(os.environ["EXPORT_DIR"])

    def on_window(window):
        def ready():
            c = window.controller
            return (c.result is not None and not c.busy and window.charts_ready and bool(c.counts)
                    and bool(c.result.sensitivity))

        def poll():
            if not ready():
                QTimer.singleShot(50, poll)
                return
            for kind in ("csv", "png", "html"):
                assert window.actions.export_to(kind, str(OUT / f"plan.{kind}")), kind
            (OUT / "done").write_text("ok", encoding="utf-8")
            os._exit(0)

        poll()
""")


# --- 1. the fixture -----------------------------------------------------------------------------


def test_the_suite_blocks_outbound_connections():
    with pytest.raises(RuntimeError, match="network access attempted"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with pytest.raises(RuntimeError, match="network access attempted"):
        socket.getaddrinfo("example.com", 443)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(RuntimeError, match="network access attempted"):
            s.connect(("192.0.2.1", 80))
        with pytest.raises(RuntimeError, match="network access attempted"):
            s.connect_ex(("192.0.2.1", 80))
    finally:
        s.close()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(RuntimeError, match="network access attempted"):
            u.sendto(b"prompt text", ("192.0.2.1", 53))
    finally:
        u.close()
    with pytest.raises(RuntimeError, match="network access attempted"):
        urllib.request.urlopen("http://192.0.2.1/", timeout=1)


# --- 2. audited processes -----------------------------------------------------------------------


def _run_audited(tmp_path: Path, args: list[str], extra_env: dict[str, str] | None = None,
                 timeout: float = 120, entry: Path = ROOT / "main.py") -> tuple[subprocess.CompletedProcess, list]:
    events = tmp_path / f"events-{len(list(tmp_path.glob('events-*')))}.jsonl"
    env = dict(os.environ)
    env.update({
        "QT_QPA_PLATFORM": "offscreen", "AUDIT_OUT": str(events), "APP_ROOT": str(ROOT),
        "APP_ENTRY": str(entry), "APP_ARGS": json.dumps(args), "TOKEN_BUDGET_DATA_DIR": str(tmp_path / "data"),
        "TOKEN_BUDGET_SETTINGS_DIR": str(tmp_path / "settings"),
        "TOKEN_BUDGET_CACHE_DIR": str(tmp_path / "cache"),
    })
    env.update(extra_env or {})
    done = subprocess.run([sys.executable, "-c", AUDITED], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=timeout)
    seen = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()] if events.exists() else []
    return done, seen


def test_cli_commands_open_no_socket(tmp_path):
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Confidential: our system prompt. " * 500, encoding="utf-8")
    commands = [
        ["count", str(prompt), "--model", "gpt-5"],
        ["count", str(prompt), "--model", "claude-sonnet-4-6", "--json", "--chat"],
        ["cost", "--model", "gemini-3.1-pro-preview", "--input", "50000", "--output", "2000", "--json"],
        ["models", "--json"],
        ["demo", "--json"],
        ["project", str(ROOT / "resources" / "demo_scenario.yaml"), "--csv", str(tmp_path / "plan.csv")],
        ["prices", "check", str(FIXTURES / "prices" / "litellm_small.json")],
    ]
    for args in commands:
        done, events = _run_audited(tmp_path, args)
        assert done.returncode == 0, (args, done.stderr[-2000:])
        assert events == [], f"{args}: {events[:5]}"
    assert (tmp_path / "plan.csv").stat().st_size > 0


def test_the_app_counts_projects_and_exports_without_a_socket(tmp_path):
    script = tmp_path / "export.py"
    script.write_text(EXPORT, encoding="utf-8")
    done, events = _run_audited(tmp_path, [str(script)], {"EXPORT_DIR": str(tmp_path)}, entry=LAUNCHER)
    assert (tmp_path / "done").exists(), done.stderr[-3000:]
    assert events == [], events[:5]
    assert (tmp_path / "plan.csv").read_text(encoding="utf-8").startswith("month")
    assert (tmp_path / "plan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (tmp_path / "plan.html").read_text(encoding="utf-8")
    assert "<html" in html.lower()
    # Self-contained: opening the report fetches nothing (images are inline data: URLs).
    assert not any(tag in html for tag in ('src="http', "src='http", '<link', "@import", "url(http"))


def test_the_shipped_app_runs_no_file_named_by_the_environment(tmp_path):
    """The old test hook is gone: TOKEN_BUDGET_TEST_SCRIPT (or any variable) makes main.py run nothing."""
    marker = tmp_path / "ran"
    script = tmp_path / "hook.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    done, events = _run_audited(tmp_path, ["--screenshot", str(tmp_path / "shot.png"), "--size", "640x400"],
                                {"TOKEN_BUDGET_TEST_SCRIPT": str(script)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert not marker.exists()


def test_the_screenshot_run_opens_no_socket(tmp_path):
    done, events = _run_audited(tmp_path, ["--screenshot", str(tmp_path / "shot.png"), "--size", "1024x640"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert events == [], events[:5]


# --- 3. strace: Qt and every C library included ------------------------------------------------


def _strace(tmp_path: Path, args: list[str], env: dict[str, str]) -> str:
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    log = tmp_path / f"strace-{len(list(tmp_path.glob('strace-*')))}.log"
    done = subprocess.run(["strace", "-f", "-qq", "-e", "trace=network", "-o", str(log),
                           sys.executable, str(ROOT / "main.py"), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    if not log.exists() or "ptrace" in done.stderr or "Operation not permitted" in done.stderr:
        pytest.skip(f"strace cannot trace here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr[-2000:]
    return log.read_text(encoding="utf-8", errors="replace")


def test_no_ip_socket_under_strace(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TOKEN_BUDGET_DATA_DIR=str(tmp_path / "data"),
               TOKEN_BUDGET_SETTINGS_DIR=str(tmp_path / "settings"), TOKEN_BUDGET_CACHE_DIR=str(tmp_path / "cache"))
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Confidential prompt text. " * 100, encoding="utf-8")
    for args in (["count", str(prompt), "--model", "gpt-5"],
                 ["--screenshot", str(tmp_path / "shot.png"), "--size", "1024x640"]):
        trace = _strace(tmp_path, args, env)
        ip = [line for line in trace.splitlines() if "AF_INET" in line]  # AF_INET and AF_INET6
        assert ip == [], f"{args}: {ip[:5]}"
