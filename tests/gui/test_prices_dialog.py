"""Prices dialog: diff of a price file with checkboxes, only accepted rows written, calibration record/reset."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from core.prices import calibration
from core.prices.catalog import load_catalog, load_catalog_file
from gui.prices_dialog import FILTERS, PricesDialog

MINI = Path(__file__).parents[1] / "fixtures" / "mini_catalog.yaml"
TODAY = date(2026, 9, 1)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKEN_BUDGET_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def price_file(tmp_path):
    """A LiteLLM-shaped file: gpt-5 input cut to $1.10, Gemini output raised to $14, one new model."""
    per_token = lambda per_mtok: float(Decimal(per_mtok) / 1_000_000)  # noqa: E731
    data = {
        "gpt-5": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": per_token("1.10"),
                  "output_cost_per_token": per_token("10"), "cache_read_input_token_cost": per_token("0.125")},
        "gemini-3.1-pro-preview": {"litellm_provider": "gemini", "mode": "chat",
                                   "input_cost_per_token": per_token("2"),
                                   "output_cost_per_token": per_token("14"),
                                   "cache_read_input_token_cost": per_token("0.2")},
        "gpt-9-mini": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": per_token("0.3"),
                       "output_cost_per_token": per_token("2.4")},
    }
    path = tmp_path / "litellm.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def dialog(qtbot, data_dir):
    catalog, _ = load_catalog(MINI, user=data_dir / "models.yaml")
    d = PricesDialog(catalog, user_file=data_dir / "models.yaml", today=TODAY,
                     reload_catalog=lambda: load_catalog(MINI, user=data_dir / "models.yaml")[0])
    qtbot.addWidget(d)
    return d


def rows(dialog):
    out = {}
    for r in range(dialog.table.rowCount()):
        key = dialog.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
        out[key] = [dialog.table.item(r, c).text() for c in range(1, dialog.table.columnCount())]
    return out


def test_diff_shows_changes_with_checkboxes(dialog, price_file, qtbot):
    with qtbot.waitSignal(dialog.diff_ready, timeout=10_000):
        dialog.load_file(price_file)
    table = rows(dialog)
    assert table["gpt-5:input"][1:6] == ["input", "price differs", "$1.25/1M", "$1.10/1M", "-12.0%"]
    assert table["gemini-3.1-pro-preview:output"][3:5] == ["$12.00/1M", "$14.00/1M"]
    assert "gpt-9-mini" in table and table["gpt-9-mini"][2] == "new model"
    assert "claude-sonnet-4-6" in table  # a catalog model the file lacks: listed, not applicable
    cell = dialog.table.item([r for r in range(dialog.table.rowCount())
                              if dialog.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == "claude-sonnet-4-6"][0], 0)
    assert not cell.flags() & Qt.ItemFlag.ItemIsUserCheckable
    assert dialog.checked_keys() == [] and not dialog.apply_button.isEnabled()
    # the default filter hides information-only rows
    hidden = {dialog.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(dialog.table.rowCount())
              if dialog.table.isRowHidden(r)}
    assert "claude-sonnet-4-6" in hidden and "gpt-5:input" not in hidden
    dialog.filter_box.setCurrentIndex([n for n, _ in FILTERS].index("Everything"))
    assert not any(dialog.table.isRowHidden(r) for r in range(dialog.table.rowCount()))


def test_only_accepted_rows_are_applied(dialog, price_file, data_dir, qtbot):
    dialog.load_file(price_file, background=False)
    applied = []
    dialog.applied.connect(applied.append)
    dialog.set_checked(["gpt-5:input"])
    assert dialog.apply_button.isEnabled() and "1 checked" in dialog.apply_button.text()
    with qtbot.waitSignal(dialog.diff_ready, timeout=10_000):  # the re-check runs in the background
        written = dialog.apply_checked()
    assert written == data_dir / "models.yaml" and applied == [written]
    user, errors = load_catalog_file(written, "user")
    assert errors == []
    assert [m.id for m in user] == ["gpt-5"]
    assert user.get("gpt-5").rates_on(TODAY).input_per_mtok == Decimal("1.10")
    merged, _ = load_catalog(MINI, user=written)
    # the rejected Gemini output change did not go in
    assert merged.get("gemini-3.1-pro-preview").rates_on(TODAY).output_per_mtok == Decimal("12.00")
    # the diff is recomputed against the updated catalog: the accepted row is gone
    assert "gpt-5:input" not in rows(dialog)
    assert "gemini-3.1-pro-preview:output" in rows(dialog)
    assert "Wrote 1 model(s)" in dialog.result_label.text()


def test_check_all_changes_never_adds_new_models(dialog, price_file):
    dialog.load_file(price_file, background=False)
    dialog.check_all_changes()
    keys = dialog.checked_keys()
    assert "gpt-5:input" in keys and "gemini-3.1-pro-preview:output" in keys
    assert "gpt-9-mini" not in keys


def test_unusable_file_is_reported(dialog, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    dialog.load_file(bad, background=False)
    assert dialog.summary.text().startswith("Cannot use bad.json")
    assert dialog.table.rowCount() == 0 and not dialog.apply_button.isEnabled()


def test_calibration_record_and_reset(dialog, data_dir):
    changed = []
    dialog.calibration_changed.connect(changed.append)
    index = dialog.model_box.findData("claude-sonnet-4-6")
    dialog.model_box.setCurrentIndex(index)
    dialog.estimate_box.setValue(1000)
    dialog.billed_box.setValue(1150)
    assert dialog.record_calibration()
    assert calibration.factor("claude-sonnet-4-6") == pytest.approx(1.15)
    assert dialog.cal_table.rowCount() == 1 and dialog.cal_table.item(0, 1).text() == "1.1500"
    assert changed == ["claude-sonnet-4-6"]
    # an implausible sample is refused with the reason, nothing recorded
    dialog.billed_box.setValue(9000)
    assert not dialog.record_calibration()
    assert "not a tokenizer difference" in dialog.cal_status.text()
    dialog.cal_table.selectRow(0)
    dialog.reset_selected()
    assert calibration.factor("claude-sonnet-4-6") is None and dialog.cal_table.rowCount() == 0


def test_estimate_from_pasted_text(dialog):
    dialog.model_box.setCurrentIndex(dialog.model_box.findData("claude-sonnet-4-6"))
    dialog.prompt_box.setPlainText("Summarize the ticket below in three bullet points. " * 40)
    dialog.estimate_from_text()
    assert dialog.estimate_box.value() > 100
