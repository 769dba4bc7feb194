"""Benchmarks incremental recounts (IncrementalCounter and the app's LargeText): a one-character edit in a 10 MB text against a full exact recount; --gui: the same edit typed in the app.

--smoke runs both parts once on small inputs (a 300k-character text, 20 edits; in the app a
1.2M-character prompt, just over the LargeText threshold, and two keystrokes) so the suite can
check that the benchmark still runs; it measures nothing.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from any directory
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_count import SIZE, build_text, median_times  # noqa: E402

SMOKE_SIZE = 300_000
SMOKE_GUI_SIZE = 1_200_000  # over core.tokens.largetext.LARGE_TEXT_CHARS: the app holds it as a LargeText


def gui_edits(args) -> int:
    """One keystroke at a time in the app's editor holding the 10 MB text; where the time goes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import tempfile

    # Settings and app data (autosaves) in a temporary folder: never the developer's own.
    os.environ["TOKEN_BUDGET_SETTINGS_DIR"] = tempfile.mkdtemp(prefix="tb-bench-")
    os.environ["TOKEN_BUDGET_DATA_DIR"] = tempfile.mkdtemp(prefix="tb-bench-data-")
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from core.prices import load_catalog
    from core.tokens import LargeText
    from core.plan import load_demo
    from gui.controller import ScenarioController
    from gui.app import UI_SWITCH_INTERVAL
    from gui.main_window import MainWindow

    sys.setswitchinterval(UI_SWITCH_INTERVAL)  # as gui.app.run_gui does

    app = QApplication.instance() or QApplication([])
    catalog, _ = load_catalog()
    controller = ScenarioController(catalog, load_demo())
    window = MainWindow(controller)
    window.show()
    panel = window.prompts
    stages: dict[str, list[float]] = {"UI thread: keystroke into the prompt (_send_window_edit)": [],
                                      "UI thread: start the recount (_recompute)": [],
                                      "worker: count job (LargeText.count, changed chunks)": [],
                                      "keystroke to new count on screen": []}

    def timed(label, fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                stages[label].append(time.perf_counter() - t)
        return wrapper

    # A large prompt is edited through a window of it: each keystroke is diffed against the
    # window and applied to the whole LargeText at once (no read timer).
    panel._send_window_edit = timed("UI thread: keystroke into the prompt (_send_window_edit)",
                                    panel._send_window_edit)
    controller._debounce.timeout.disconnect()
    controller._debounce.timeout.connect(timed("UI thread: start the recount (_recompute)", controller._recompute))
    controller._count_job = timed("worker: count job (LargeText.count, changed chunks)", controller._count_job)

    def wait(condition, timeout=120.0):
        deadline = time.perf_counter() + timeout
        while not condition():
            app.processEvents()
            time.sleep(0.001)
            if time.perf_counter() > deadline:
                raise TimeoutError("the app did not finish counting")

    text = build_text(SMOKE_GUI_SIZE if args.smoke else SIZE)
    index = controller.add_prompt("Big document")
    panel.list.setCurrentRow(index)
    t = time.perf_counter()
    panel.editor.setPlainText(text)
    load = time.perf_counter() - t
    wait(lambda: len(controller.scenario.prompts[index].text) > 1_000_000 and not controller.busy
         and controller.counts.get(("Big document", "o200k_base")) is not None)
    assert isinstance(controller.scenario.prompts[index].text, LargeText) and panel.large_window.text is not None
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    print(f"{len(text) / 1e6:.1f}M-character prompt in the editor (setPlainText {load * 1000:.0f} ms), counted; "
          f"now {max(1, args.edits // 10)} one-character edits typed at random places:")
    for label in stages:
        stages[label].clear()
    r = random.Random(5)
    moves = []
    for _ in range(max(1, args.edits // 10)):
        t = time.perf_counter()  # anywhere in the 10 MB: move the editor's window there first
        panel._move_window(r.randrange(len(controller.scenario.prompts[index].text)))
        moves.append(time.perf_counter() - t)
        cursor = panel.editor.textCursor()
        cursor.setPosition(r.randrange(panel.editor.document().characterCount() - 1))
        panel.editor.setTextCursor(cursor)
        before = len(controller.scenario.prompts[index].text)
        t = time.perf_counter()
        QTest.keyClicks(panel.editor, "x")
        wait(lambda: len(controller.scenario.prompts[index].text) == before + 1
             and not controller._debounce.isActive() and not controller.busy)
        stages["keystroke to new count on screen"].append(time.perf_counter() - t)
    text = str(controller.scenario.prompts[index].text)
    assert controller.counts[("Big document", "o200k_base")].tokens == len(
        __import__("core.tokens.vocab", fromlist=["get_encoding"]).get_encoding("o200k_base").encode_ordinary(text))
    print(f"  the count after the edits equals tiktoken's ({controller.counts[('Big document', 'o200k_base')].tokens:,})")
    for label, times in stages.items():
        print(f"  {label:48s} median {statistics.median(times) * 1000:7.1f} ms  (max {max(times) * 1000:6.1f})")
    print(f"  {'UI thread: move the window (Earlier/Later/slider)':48s} median {statistics.median(moves) * 1000:7.1f} ms"
          f"  (max {max(moves) * 1000:6.1f})")
    print("  (keystroke to count includes the controller's 120 ms debounce)")
    # The baseline, in the same run: one full exact recount of the edited prompt.
    from core.tokens import count_exact_fast

    t = time.perf_counter()
    count_exact_fast(text, "o200k_base")
    full = time.perf_counter() - t
    typed = statistics.median(stages["UI thread: keystroke into the prompt (_send_window_edit)"])
    print(f"  full recount of the prompt (count_exact_fast) {full * 1000:7.1f} ms: the keystroke's UI-thread "
          f"share is {full / typed:6.1f}x shorter")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    controller.shutdown()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edits", type=int, default=200, help="one-character edits to time")
    parser.add_argument("--runs", type=int, default=5, help="full recounts to time (median reported)")
    parser.add_argument("--encoding", default="o200k_base")
    parser.add_argument("--gui", action="store_true",
                        help="type one-character edits into a 10 MB prompt in the app (offscreen) and time each stage")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds: both parts once on small inputs (checks the benchmark runs; not a measurement)")
    args = parser.parse_args()
    if args.smoke:
        args.edits, args.runs = 20, 1
        print("smoke run: tiny inputs, one run each; checks that the benchmark runs, measures nothing")
        return in_process(args) or gui_edits(args)
    return gui_edits(args) if args.gui else in_process(args)


def in_process(args) -> int:
    """IncrementalCounter and LargeText edits in this process against full recounts of the edited text."""
    from core.tokens import IncrementalCounter, LargeText, count_exact_fast, fastcount, get_encoding

    print(f"accelerator: {fastcount.status(args.encoding) if fastcount.counter(args.encoding) else 'none'}")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    enc = get_encoding(args.encoding)
    text = build_text(SMOKE_SIZE if args.smoke else SIZE)
    counter = IncrementalCounter(args.encoding)
    t = time.perf_counter()
    counter.set_text(text)
    print(f"set_text: {len(text):,} characters, {counter.chunk_count:,} chunks, "
          f"{counter.tokens:,} tokens in {(time.perf_counter() - t) * 1000:.0f} ms")

    r = random.Random(7)
    alphabet = list("abcXYZ019 ,.'\n\t/{}漢字😀") + ["\u0301"]
    edit_times: list[float] = []
    edits: list[tuple[int, int, str]] = []
    for _ in range(args.edits):
        n = len(counter)
        pos = r.randrange(n)
        kind = r.random()
        if kind < 0.5:
            start, end, new = pos, pos, r.choice(alphabet)  # type a character
        elif kind < 0.8:
            start, end, new = pos, pos + 1, ""  # delete one
        else:
            start, end, new = pos, pos + 1, r.choice(alphabet)  # overwrite one
        edits.append((start, end, new))
        t = time.perf_counter()
        counter.apply_edit(start, end, new)
        edit_times.append(time.perf_counter() - t)
    edited = counter.text
    # The editor's way: only the new text is known (update_text compares, then recounts).
    update_times: list[float] = []
    current = edited
    for _ in range(max(10, args.edits // 10)):
        pos = r.randrange(len(current))
        typed = r.choice(alphabet)
        edits.append((pos, pos + 1, typed))
        current = current[:pos] + typed + current[pos + 1:]
        t = time.perf_counter()
        counter.update_text(current)
        update_times.append(time.perf_counter() - t)
    edited = counter.text

    # What the app holds a large prompt as: core.tokens.largetext.LargeText. Each edit makes a new
    # version sharing the untouched chunks and their counts; the same edits, counted after each.
    t = time.perf_counter()
    large = LargeText.from_str(text)
    large.count(args.encoding)
    large_load = time.perf_counter() - t
    large_times: list[float] = []
    for start, end, new in edits:
        t = time.perf_counter()
        large = large.edit(start, end, new)
        large.count(args.encoding)
        large_times.append(time.perf_counter() - t)
    assert large == edited, "LargeText diverged from the edited text"

    def tiktoken_only() -> int:
        with fastcount.disabled():
            return count_exact_fast(edited, args.encoding)

    full = median_times({
        "count_exact_fast(text)": lambda: count_exact_fast(edited, args.encoding),
        "count_exact_fast, tiktoken only": tiktoken_only,
        "len(enc.encode_ordinary(text))": lambda: len(enc.encode_ordinary(edited)),
    }, args.runs)
    reference = full["len(enc.encode_ordinary(text))"][1]
    assert counter.tokens == reference == full["count_exact_fast(text)"][1] == large.count(args.encoding), \
        "identity broken"
    edit = statistics.median(edit_times)
    update = statistics.median(update_times)
    print(f"identity after {args.edits} + {len(update_times)} edits: {counter.tokens:,} tokens == tiktoken's count")
    print(f"  one-character edit (apply_edit)         median {edit * 1000:8.3f} ms  "
          f"(p90 {sorted(edit_times)[int(0.9 * len(edit_times))] * 1000:.3f} ms)")
    print(f"  one-character edit (update_text)        median {update * 1000:8.3f} ms  "
          f"(compares the whole new text with the chunks, then recounts)")
    large_edit = statistics.median(large_times)
    print(f"  one-character edit + count, LargeText   median {large_edit * 1000:8.3f} ms  "
          f"(p90 {sorted(large_times)[int(0.9 * len(large_times))] * 1000:.3f} ms; the app's path; "
          f"from_str + first count {large_load * 1000:.0f} ms)")
    for name, (t, _) in full.items():
        print(f"  full recount, {name:28s} median {t * 1000:8.1f} ms   LargeText edit is {t / large_edit:6.0f}x, "
              f"apply_edit {t / edit:6.0f}x, update_text {t / update:5.0f}x faster")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
