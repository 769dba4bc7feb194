"""Benchmarks peak memory: the app with a 10 MB prompt loaded and counted vs a bare PySide6 + pyqtgraph plot window.

--smoke runs each process once with a 1.2M-character prompt (still read on a worker and held as a
LargeText) so the suite can check that the benchmark still runs; it measures nothing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from any directory
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_count import SIZE, build_text  # noqa: E402
from bench_startup import BARE_WINDOW  # noqa: E402


SMOKE_SIZE = 1_200_000  # over the 1 MB worker-read and 1M-character LargeText thresholds


def peak_rss(cmd: list[str], env: dict[str, str], timeout: float = 180.0) -> tuple[int, float, str]:
    """(peak resident set size in bytes, wall seconds, stdout) of one child process (wait4's ru_maxrss)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"{cmd[:3]} timed out")
            time.sleep(0.01)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} exited {proc.returncode}:\n{stdout[-2000:]}\n{stderr[-2000:]}")
    return usage.ru_maxrss * 1024, time.monotonic() - start, stdout + stderr  # Linux: ru_maxrss is in KiB


# The app as `python main.py --screenshot FILE.png` runs it on the demo, with one difference: before
# the first paint the 10 MB text file is dropped on the prompt list (PromptsPanel.add_files, the
# drop handler: read on a worker, checked, added as a prompt and shown in the editor). Once the
# prompt is counted, --screenshot's own wait (counts, plan, sensitivity bars, charts) follows and
# the window is grabbed.
APP_WITH_DROPPED_FILE = r"""
import sys
import time
from pathlib import Path
import gui.app as app

real_screenshot = app._screenshot

def screenshot(qapp, window, path):
    stem, c = Path(sys.argv[1]).stem, window.controller
    window.prompts.add_files([sys.argv[1]])  # big files are read on a worker: wait for its count
    deadline = time.monotonic() + 120
    while not (any(name == stem for name, _tok in c.counts) and not c.busy) and time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.01)
    code = real_screenshot(qapp, window, path)
    counts = {tok: n.tokens for (name, tok), n in c.counts.items() if name == stem}
    print("counts", " ".join(f"{tok}={n}" for tok, n in sorted(counts.items())), flush=True)
    return code

app._screenshot = screenshot
sys.exit(app.run_gui(["--screenshot", sys.argv[2]]))
"""


def _expected_counts(text: str, lines: set[str]) -> str:
    """Check the app's counts (one line per run, all equal) against plain tiktoken; returns a summary."""
    from tests.test_tokens_reference import reference_encoding

    assert len(lines) == 1, f"runs disagree or printed no counts: {lines}"
    items = next(iter(lines)).split()[1:]
    assert any(item.startswith("o200k_base=") for item in items), f"no exact count: {items}"
    for item in items:
        tokenizer, tokens = item.split("=")
        if tokenizer in ("o200k_base", "cl100k_base"):
            expected = len(reference_encoding(tokenizer).encode_ordinary(text))
            assert int(tokens) == expected, f"{tokenizer}: app counted {tokens}, tiktoken {expected}"
    return "checked"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs of each, interleaved (median reported)")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds: each process once with a small prompt (checks the benchmark runs; not a measurement)")
    args = parser.parse_args()
    if args.smoke:
        args.runs = 1
        print("smoke run: tiny inputs, one run each; checks that the benchmark runs, measures nothing")

    text = build_text(SMOKE_SIZE if args.smoke else SIZE)
    size = len(text.encode("utf-8"))
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    print(f"prompt: {len(text):,} characters, {size / 1e6:.1f} MB of UTF-8 (bench_count.build_text)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        prompt_file = tmp_path / "big-prompt.txt"
        prompt_file.write_text(text, encoding="utf-8", newline="")
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
                   TOKEN_BUDGET_SETTINGS_DIR=str(tmp_path / "settings"),
                   TOKEN_BUDGET_DATA_DIR=str(tmp_path / "data"),
                   TOKEN_BUDGET_CACHE_DIR=str(tmp_path / "cache"))
        contenders = {
            "bare PySide6 + pyqtgraph window": [sys.executable, "-c", BARE_WINDOW],
            "app, big prompt counted": [sys.executable, "-c", APP_WITH_DROPPED_FILE, str(prompt_file),
                                          str(tmp_path / "shot.png")],
        }
        samples: dict[str, list[tuple[int, float]]] = {name: [] for name in contenders}
        counts: set[str] = set()
        for _ in range(args.runs):
            for name, cmd in contenders.items():
                rss, wall, output = peak_rss(cmd, env)
                if "warning" in output:
                    print(f"  ({name}: {output.strip()[:200]})")
                for line in output.splitlines():
                    if line.startswith("counts "):
                        counts.add(line)
                samples[name].append((rss, wall))
    expected = _expected_counts(text, counts)
    print(f"the app's counts of the dropped prompt: {counts.pop()} (equal to tiktoken's: {expected})")
    bare = statistics.median(r for r, _ in samples["bare PySide6 + pyqtgraph window"])
    app = statistics.median(r for r, _ in samples["app, big prompt counted"])
    print(f"peak RSS (VmHWM of the child), median of {args.runs} interleaved runs:")
    for name, values in samples.items():
        rss = statistics.median(r for r, _ in values)
        wall = statistics.median(w for _, w in values)
        print(f"  {name:34s} {rss / 1e6:7.1f} MB   (process ran {wall:5.1f} s)")
    print(f"  app / bare window: {app / bare:5.2f}x")
    limit = bare + 10 * size
    print(f"target: app ≤ bare + 10 × text size = {bare / 1e6:.1f} + {10 * size / 1e6:.1f} = {limit / 1e6:.1f} MB: "
          f"{'not judged (smoke)' if args.smoke else 'met' if app <= limit else 'NOT met'} (app - bare = {(app - bare) / 1e6:.1f} MB "
          f"= {(app - bare) / size:.1f} × the text)")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
