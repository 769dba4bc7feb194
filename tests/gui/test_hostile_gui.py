"""Hostile input in the window: huge pastes, binary and oversized drops, malformed files.

Each gets a clear message, nothing crashes, the last good state stays, and the app still works
afterwards: a changed requests/day is priced and shown (`_still_answers`). Where a worker reads or
counts 10 MB, a 1 ms heartbeat timer on the UI thread must also beat while that work is in flight
(`Heartbeat`): the UI thread handles events meanwhile instead of waiting for the worker. How LONG
the UI thread may stall is a timing goal, measured by bench/bench_ui_stall.py, not asserted here
(two shared cores make any wall-clock limit flaky). The charts are left out: they redraw on every
edit whatever the prompts hold.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent


class Heartbeat:
    """A 1 ms timer on the UI thread that counts the beats it makes while `in_flight()` holds."""

    def __init__(self, in_flight) -> None:
        self.beats = self.beats_in_flight = 0
        self.timer = QTimer(interval=1)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(lambda: self._beat(in_flight()))

    def _beat(self, busy: bool) -> None:
        self.beats += 1
        self.beats_in_flight += busy


def beats_during(act, in_flight) -> Heartbeat:
    """Run `act` (which waits for its own end) under a heartbeat; the beats seen while in flight."""
    beat = Heartbeat(in_flight)
    beat.timer.start()
    try:
        act()
    finally:
        beat.timer.stop()
    return beat


@pytest.fixture
def window(window, monkeypatch):
    """The demo window with its charts frozen (see the module docstring)."""
    monkeypatch.setattr(window.charts, "show_result", lambda *_args: None)
    monkeypatch.setattr(window.charts, "show_breakeven", lambda *_args: None)
    return window


def _settled(c) -> bool:
    """Counted and priced, and the follow-up jobs (sensitivity, break-even) are in too."""
    debounce = getattr(c, "_debounce", None)  # private: read defensively
    return (not c.busy and c.result is not None and not getattr(c, "_jobs", ())
            and not (debounce is not None and debounce.isActive()))


def _published(c, index: int, text: str) -> bool:
    """The window shows the result computed from `text` as prompt `index`."""
    if not _settled(c) or len(c.result.scenario.prompts) <= index:
        return False
    shown = c.result.scenario.prompts[index].text
    return len(shown) == len(text) and shown == text


def _still_answers(window, qtbot) -> None:
    """The app works end to end after the hostile input: a new requests/day is priced and shown."""
    c = window.controller
    wanted = int(c.scenario.workload.requests_per_day) + 7
    window.workload.requests.setValue(wanted)
    qtbot.waitUntil(lambda: _settled(c) and c.result.scenario.workload.requests_per_day == wanted, timeout=30_000)


def _new_prompt(window, qtbot, name="Hostile") -> int:
    c, panel = window.controller, window.prompts
    index = c.add_prompt(name)
    panel.list.setCurrentRow(index)
    qtbot.waitUntil(lambda: _settled(c), timeout=20_000)
    return index


def _mime(text: str) -> QMimeData:
    mime = QMimeData()
    mime.setText(text)
    return mime


def _paste_later(editor, mime) -> None:
    """Deliver the paste from the event loop, as a real Ctrl+V does."""
    QTimer.singleShot(0, lambda: editor.insertFromMimeData(mime))


def _drop(widget, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)


def test_a_100_mb_paste_is_refused_with_a_message_and_changes_nothing(window, qtbot, dialogs):
    c, panel = window.controller, window.prompts
    index = _new_prompt(window, qtbot)
    before, result = c.scenario, c.result
    mime = _mime("y" * 100_000_000)

    seen = len(dialogs)
    _paste_later(panel.editor, mime)
    qtbot.waitUntil(lambda: len(dialogs) > seen, timeout=10_000)
    del mime
    kind, warning = dialogs[-1]
    assert kind == "warning" and "Paste refused" in warning
    assert "95.4 MB" in warning and "20,000,000 characters" in warning
    assert c.scenario == before and c.result is result
    assert c.scenario.prompts[index].text == "" and panel.editor.text() == ""
    # The prompt is still editable and the plan still prices edits.
    qtbot.keyClicks(panel.editor, "still here")
    qtbot.waitUntil(lambda: c.scenario.prompts[index].text == "still here", timeout=10_000)
    _still_answers(window, qtbot)


def test_a_10_mb_single_line_paste_is_counted_in_full_and_shown_as_a_preview(window, qtbot, dialogs):
    from core.tokens.counting import count_tokens

    c, panel = window.controller, window.prompts
    line = ('{"id": 1234, "name": "naïve café 😀", "tags": ["a", "b"], "ok": true}, ' * 150_000)[:10_000_000]
    mime = _mime(line)
    index = _new_prompt(window, qtbot, "One long line")

    def paste() -> None:
        _paste_later(panel.editor, mime)
        qtbot.waitUntil(lambda: _published(c, index, line), timeout=60_000)

    # The 10 MB are counted on a worker: the UI thread keeps handling events meanwhile.
    assert beats_during(paste, lambda: c.busy).beats_in_flight > 0
    name = c.scenario.prompts[index].name
    tokenizer = c.catalog.get(c.scenario.primary_model).tokenizer
    assert c.scenario.prompts[index].text == line
    assert c.counts[(name, tokenizer)].tokens == count_tokens(line, tokenizer).tokens > 2_000_000
    # Held as a LargeText; the editor's window of it is one long line, so it is a read-only preview.
    assert panel.editor.preview and panel.editor.isReadOnly() and panel.window_bar.isVisible()
    assert "10,000,000 characters" in panel.window_bar.label.text()
    assert "read-only" in panel.window_bar.label.text() and "Paste or drop" in panel.window_bar.label.toolTip()
    assert len(panel.editor.text()) < 3_000  # the widget holds a preview, not 10 MB on one line
    assert not [kind for kind, _ in dialogs if kind == "warning"]

    # Switching away and back keeps the preview (the editor never gets the whole line).
    panel.list.setCurrentRow(0)
    assert not panel.editor.preview and panel.editor.text() == str(c.scenario.prompts[0].text)
    panel.list.setCurrentRow(index)
    assert panel.editor.preview and c.scenario.prompts[index].text == line
    assert len(panel.editor.text()) < 3_000
    # Pasting into the preview replaces the whole prompt; a normal-sized text is editable again.
    panel.editor.insertFromMimeData(_mime("short again\n"))
    assert c.scenario.prompts[index].text == "short again\n"
    assert not panel.editor.preview and not panel.editor.isReadOnly() and not panel.large_info.isVisible()
    assert not panel.window_bar.isVisible()
    _still_answers(window, qtbot)


def test_a_10_mb_multi_line_paste_stays_editable(window, qtbot):
    from core.tokens.counting import count_tokens

    c, panel = window.controller, window.prompts
    big = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20 + "\n") * 9000  # ≈ 10 MB
    mime = _mime(big)
    index = _new_prompt(window, qtbot, "Big document")

    def paste() -> None:
        _paste_later(panel.editor, mime)
        qtbot.waitUntil(lambda: _published(c, index, big), timeout=60_000)

    assert beats_during(paste, lambda: c.busy).beats_in_flight > 0  # counted off the UI thread
    tokenizer = c.catalog.get(c.scenario.primary_model).tokenizer
    assert c.counts[("Big document", tokenizer)].tokens == count_tokens(big, tokenizer).tokens
    assert not panel.editor.preview and not panel.editor.isReadOnly()
    # The editor holds a window of it (not 10 MB), placed where the caret follows the pasted text.
    assert panel.window_bar.isVisible() and panel.editor.document().characterCount() < 200_000
    assert panel.caret_offset() == len(big)
    qtbot.keyClicks(panel.editor, "!")
    qtbot.waitUntil(lambda: c.scenario.prompts[index].text == big + "!", timeout=10_000)
    # A paste in the middle of the window lands at the same place in the whole prompt.
    cursor = panel.editor.textCursor()
    cursor.setPosition(5)
    panel.editor.setTextCursor(cursor)
    at = panel.caret_offset()
    insert = "pasted\n" * 3000  # 21,000 characters: over EDITOR_MAX_LINE_CHARS, so it replaces the window
    panel.editor.insertFromMimeData(_mime(insert))
    wanted = big[:at] + insert + big[at:] + "!"
    qtbot.waitUntil(lambda: c.scenario.prompts[index].text == wanted, timeout=10_000)
    assert panel.caret_offset() == at + len(insert)
    qtbot.waitUntil(lambda: _published(c, index, wanted), timeout=60_000)
    assert c.counts[("Big document", tokenizer)].tokens == count_tokens(wanted, tokenizer).tokens
    _still_answers(window, qtbot)


def test_binary_and_undecodable_drops_change_nothing(window, qtbot, dialogs, tmp_path):
    c, panel = window.controller, window.prompts
    qtbot.waitUntil(lambda: _settled(c), timeout=20_000)
    binary = tmp_path / "model.safetensors"
    binary.write_bytes(bytes(range(256)) * 8_000)  # 2 MB: read on the worker
    small_binary = tmp_path / "icon.png"
    small_binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    latin1 = tmp_path / "notes.txt"
    latin1.write_bytes("Grüße aus Köln ".encode("latin-1") * 100)
    before, result = c.scenario, c.result

    seen = len(dialogs)
    _drop(panel.editor, [binary, small_binary, latin1])
    # A drop with a file over SYNC_READ_BYTES returns before reading: the read is on a worker.
    assert panel.reading_files and len(dialogs) == seen
    qtbot.waitUntil(lambda: not panel.reading_files and len(dialogs) > seen, timeout=10_000)
    _drop(panel, [small_binary])
    warnings = [text for kind, text in dialogs if kind == "warning"]
    assert len(warnings) == 2
    assert "model.safetensors looks binary" in warnings[0] and "icon.png looks binary" in warnings[0]
    assert "notes.txt is not valid UTF-8 (byte 0xfc at offset 2)" in warnings[0]
    assert "icon.png looks binary" in warnings[1]
    assert c.scenario == before and c.result is result
    _still_answers(window, qtbot)


def test_an_oversized_dropped_file_is_refused_off_the_ui_thread(window, qtbot, dialogs, tmp_path):
    c, panel = window.controller, window.prompts
    qtbot.waitUntil(lambda: _settled(c), timeout=20_000)
    huge = tmp_path / "dump.log"
    with huge.open("w", encoding="utf-8") as handle:
        line = "2026-11-26 12:00:00 INFO request served in 12 ms\n"
        chars = len(line) * (60_000_000 // len(line))  # 60 MB: under the 64 MB read limit, over 20M characters
        handle.write(line * (60_000_000 // len(line)))
    before = c.scenario

    seen = len(dialogs)
    _drop(panel.editor, [huge])
    assert panel.reading_files and len(dialogs) == seen  # the drop returned; a worker reads the 60 MB
    qtbot.waitUntil(lambda: len(dialogs) > seen, timeout=20_000)
    warning = [text for kind, text in dialogs if kind == "warning"][-1]
    assert f"dump.log has {chars:,} characters; the limit is 20,000,000" in warning
    assert c.scenario == before and not panel.reading_files
    _still_answers(window, qtbot)


def test_a_big_dropped_file_becomes_a_prompt_without_freezing(window, qtbot, dialogs, tmp_path):
    from core.tokens.counting import count_tokens

    c, panel = window.controller, window.prompts
    qtbot.waitUntil(lambda: _settled(c), timeout=20_000)
    path = tmp_path / "minified.json"
    text = '{"k": "value with spaces", "n": 1}, ' * 300_000  # 10.5 MB on one line
    path.write_text(text, encoding="utf-8")
    count = len(c.scenario.prompts)

    def drop() -> None:
        _drop(panel.editor, [path])
        assert panel.reading_files and len(c.scenario.prompts) == count  # read on a worker
        qtbot.waitUntil(lambda: len(c.scenario.prompts) > count, timeout=20_000)
        qtbot.waitUntil(lambda: _published(c, count, text), timeout=60_000)

    # Reading and counting 10.5 MB happen on workers: the UI thread keeps handling events.
    assert beats_during(drop, lambda: panel.reading_files or c.busy).beats_in_flight > 0
    prompt = c.scenario.prompts[-1]
    assert prompt.name.startswith("minified") and prompt.text == text
    tokenizer = c.catalog.get(c.scenario.primary_model).tokenizer
    assert c.counts[(prompt.name, tokenizer)].tokens == count_tokens(text, tokenizer).tokens
    assert panel.editor.preview
    assert not dialogs or all(kind != "warning" for kind, _ in dialogs)
    _still_answers(window, qtbot)


def test_opening_a_malformed_scenario_names_file_line_and_field_and_keeps_the_plan(window, qtbot, dialogs, tmp_path):
    c = window.controller
    qtbot.waitUntil(lambda: _settled(c), timeout=20_000)
    before, result, path_before = c.scenario, c.result, c.path
    bad = tmp_path / "broken plan.yaml"
    bad.write_text("schema_version: 1\nname: Broken\nprimary_model: gpt-5\nworkload:\n"
                   "  requests_per_day: NaN\n  horizon_months: -3\n"
                   "prompts:\n  - name: a\n    output_tokens: lots\n", encoding="utf-8")
    assert window.actions.open_path(str(bad)) is False
    shown = [text for kind, text in dialogs if kind == "exec"][-1]
    assert "Cannot open the scenario" in shown and "3 problem(s); the current plan is kept" in shown
    assert f"{bad}:5 [workload.requests_per_day]: expected a finite number" in shown
    assert f"{bad}:6 [workload.horizon_months]: must be at least 1" in shown
    assert f"{bad}:9 [prompts[0].output_tokens]: expected a whole number, got 'lots'" in shown
    assert c.scenario == before and c.result is result and c.path == path_before

    for content in (b"\x00\x01binary", b"name: caf\xe9", b"a: [unclosed\n  b: 1",
                    b"a: &a [1, 2]\n" + b"".join(b"b%d: [*a, *a]\n" % i for i in range(30))):
        bad.write_bytes(content)
        assert window.actions.open_path(str(bad)) is False
        assert c.scenario == before and c.result is result
    texts = [text for kind, text in dialogs if kind == "exec"][-4:]
    assert "binary data (NUL byte)" in texts[0] and "not UTF-8 text (bad byte at offset 9)" in texts[1]
    assert f"{bad}:2: invalid YAML" in texts[2] and "alias bomb" in texts[3]


def test_bad_entries_in_the_price_override_file_are_reported_and_the_prices_in_use_stay(
        window, qtbot, dialogs, tmp_path, monkeypatch):
    monkeypatch.setenv("TOKEN_BUDGET_DATA_DIR", str(tmp_path))
    c = window.controller
    qtbot.waitUntil(lambda: _settled(c), timeout=20_000)
    catalog, result = c.catalog, c.result
    model = c.scenario.primary_model
    (tmp_path / "models.yaml").write_text(
        "schema_version: 1\nmodels:\n"
        f"  - id: {model}\n    provider: openai\n    name: Broken override\n    tokenizer: o200k_base\n"
        "    prices: {input: \"-1\", output: 1e308}\n    source: me\n    checked: 2026-11-26\n",
        encoding="utf-8")
    window.actions.reload_catalog()
    shown = [text for kind, text in dialogs if kind == "exec"][-1]
    assert "models.yaml:7 [" + model + ".prices.input]: must not be negative" in shown
    assert "the prices in use are unchanged" in shown
    assert c.catalog is catalog and c.result is result  # the prices in use did not change


def test_a_failed_save_shows_a_dialog_keeps_the_file_and_the_unsaved_state(window, qtbot, dialogs, tmp_path,
                                                                            monkeypatch):
    import errno

    from core.base import atomicio
    from core.plan.scenario import load_scenario

    c = window.controller
    (tmp_path / "plans").mkdir()
    path = tmp_path / "plans" / "plan.yaml"
    assert window.actions._write(str(path))  # v1 on disk
    c.update(name="Edited after saving")
    assert c.dirty

    def disk_full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:  # (undo() would also undo the dialog fixture's patches)
        patch.setattr(atomicio.os, "replace", disk_full)
        assert window.actions.save() is False
    shown = [text for kind, text in dialogs if kind == "exec"][-1]
    assert "Cannot save" in shown and "No space left on device" in shown and "unchanged" in shown
    assert c.dirty and window.isWindowModified()
    assert load_scenario(path)[0].name == "Support assistant (demo)"
    assert [p.name for p in path.parent.iterdir()] == ["plan.yaml"]  # no temp file left behind
