"""Exports of a plan: the monthly table as CSV, a chart as PNG, and a self-contained HTML report."""
from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path
from typing import Mapping

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget

from core.plan import TOKEN_TYPES
from core.base import atomic_write_text

DEFAULT_PNG_SIZE = (1100, 600)


# --- writing files atomically ---------------------------------------------------------------------


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Temp file in the same folder + fsync + os.replace: a crash leaves the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make a shared export unreadable
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --- CSV ----------------------------------------------------------------------------------------------


def model_columns(result) -> list[str]:
    """Every model that has spend in some month, in order of first appearance."""
    seen: dict[str, None] = {}
    for row in result.projection.months:
        for mid in row.by_model:
            seen.setdefault(mid, None)
    return list(seen)


def _exact(value) -> str:
    """The exact Decimal in plain notation: "0E-26" and "1.2E-7" confuse spreadsheets."""
    return "0" if value == 0 else format(value, "f")


def csv_text(result) -> str:
    """The monthly table with every amount as the projection's exact Decimal, in plain notation."""
    models = model_columns(result)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "days", "requests", "cost_usd", "budget_usd", "headroom_usd", "over_budget",
                     *[f"{t}_usd" for t in TOKEN_TYPES], *[f"model:{m}_usd" for m in models]])
    for r in result.projection.months:
        writer.writerow([
            r.month.strftime("%Y-%m"), r.days, _exact(r.requests), _exact(r.cost),
            "" if r.budget is None else _exact(r.budget), "" if r.headroom is None else _exact(r.headroom),
            "yes" if r.over_budget else "no",
            *[_exact(r.by_token_type[t]) if t in r.by_token_type else "0" for t in TOKEN_TYPES],
            *[_exact(r.by_model[m]) if m in r.by_model else "0" for m in models],
        ])
    return out.getvalue()


def export_csv(result, path: Path | str) -> None:
    """Write the monthly table (month, days, requests, cost, budget, headroom, per token type, per model)."""
    if not result.projection.months:
        raise ValueError("nothing to export: " + ("; ".join(result.projection.errors) or "no months"))
    # no .bak beside an export: the user chose to overwrite it
    atomic_write_text(path, csv_text(result), keep_backup=False)


# --- PNG ----------------------------------------------------------------------------------------------


def _size(size: tuple[int, int] | QSize | None) -> tuple[int, int] | None:
    if isinstance(size, QSize):
        return size.width(), size.height()
    return size


def png_bytes(widget: QWidget, size: tuple[int, int] | QSize | None = None, *,
              palette: QPalette | None = None) -> bytes:
    """The widget as PNG bytes: as on screen, or for a chart at `size` and in `palette` if given.

    Charts render through an offscreen copy (ChartBase.render_image), so a hidden tab exports at
    a real size and the window does not flicker.
    """
    target = _size(size)
    if hasattr(widget, "render_image"):
        if target is None:
            on_screen = widget.size()
            usable = widget.isVisible() and on_screen.width() >= 200 and on_screen.height() >= 150
            target = (on_screen.width(), on_screen.height()) if usable else DEFAULT_PNG_SIZE
        image = widget.render_image(target, palette)
    else:
        if target is not None and not widget.isVisible():
            widget.resize(*target)  # a hidden top-level widget can take any size before grab()
        image = widget.grab().toImage()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("could not encode the image as PNG")
    buffer.close()
    return bytes(data.data())


def export_png(widget: QWidget, path: Path | str, size: tuple[int, int] | QSize | None = None) -> None:
    """Write the widget (e.g. ChartTabs.current_chart()) as a PNG file, atomically."""
    atomic_write_bytes(path, png_bytes(widget, size))


def chart_pngs(widgets: Mapping[str, QWidget], size: tuple[int, int] | None = DEFAULT_PNG_SIZE, *,
               light: bool = True, skip_empty: bool = True) -> dict[str, bytes]:
    """Every chart as PNG bytes for the HTML report, e.g. chart_pngs(tabs.chart_widgets()).

    `light` draws them in a light palette whatever the app theme: the report page is white.
    `skip_empty` leaves out charts that only show a "No data" message.
    """
    from gui.charts.style import light_palette

    palette = light_palette() if light else None
    return {name: png_bytes(w, size, palette=palette) for name, w in widgets.items()
            if not (skip_empty and getattr(w, "showing_message", False))}


# --- HTML ---------------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1d2329;background:#fff;
margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d5dbe1;padding-bottom:4px}
.sub{color:#5b6670;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #d5dbe1;border-radius:6px;padding:8px 12px;min-width:150px}
.card b{display:block;font-size:18px}.card span{color:#5b6670;font-size:12px}
.warn{background:#fff4e5;border:1px solid #e6a23c;border-radius:6px;padding:8px 12px;margin:10px 0}
.bad{color:#b3261e;font-weight:600}.good{color:#00754f}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #d5dbe1;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f4f7}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.over td{background:#fdecea}tr.off td{color:#8a949c}
figure{margin:10px 0 18px}figure img{max-width:100%;border:1px solid #d5dbe1}
figcaption{color:#5b6670;font-size:12px}
code{font-size:12px;background:#f1f4f7;padding:1px 4px;border-radius:3px}
pre{white-space:pre-wrap;background:#f7f9fa;border:1px solid #d5dbe1;padding:8px;font-size:12px}
footer{color:#5b6670;font-size:12px;margin-top:28px}
"""


def _e(value) -> str:
    from html import escape

    return escape(str(value), quote=True)


def _usd(value) -> str:
    if value is None:
        return "—"
    from decimal import Decimal

    v = Decimal(value).quantize(Decimal("0.01"))
    return f"−${-v:,}" if v < 0 else f"${v:,}"


def _table(headers, rows, numeric=(), row_classes=None) -> str:
    """Rows of already-escaped cells; `numeric` = indexes of right-aligned columns."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(f'<td class="n">{c}</td>' if j in numeric else f"<td>{c}</td>" for j, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _headline(result) -> str:
    p, s = result.projection, result.scenario
    budget = s.workload.budget_per_month
    cards = []
    if p.months:
        first, last = p.months[0], p.months[-1]
        cards += [(_usd(first.cost), f"month 1 ({first.month:%b %Y})"),
                  (_usd(last.cost), f"month {len(p.months)} ({last.month:%b %Y})"),
                  (_usd(p.total), f"total over {len(p.months)} months")]
    if budget is not None:
        breach = p.first_breach
        verdict = (f'<span class="bad">breached in {breach.month:%b %Y}</span>' if breach
                   else '<span class="good">within budget</span>')
        cards.append((f"{_usd(budget)}/month", f"budget — {verdict}"))
    if result.waterfall.steps and not result.waterfall.errors:
        cards.append((f"{result.saving_pct:.1f}%", f"levers save {_usd(result.waterfall.saving)}"))
    if result.max_requests_per_day is not None:
        cards.append((f"{result.max_requests_per_day:,}", "max requests/day within budget"))
    return '<div class="cards">' + "".join(f"<div class='card'><b>{v}</b><span>{t}</span></div>"
                                           for v, t in cards) + "</div>"


def _inputs(result, include_prompt_text: bool) -> str:
    from dataclasses import fields

    from core.plan import LEVER_TITLES

    s, w, tokens = result.scenario, result.scenario.workload, result.tokens
    parts = ["<h2>Inputs</h2>", _table(["setting", "value"], [
        ["primary model", f"<code>{_e(s.primary_model)}</code>"],
        ["compared with", ", ".join(f"<code>{_e(m)}</code>" for m in s.comparison_models) or "—"],
        ["requests/day (month 1)", _e(f"{w.requests_per_day:,}")],
        ["growth", _e(f"{w.growth_pct_per_month}% per month")],
        ["horizon", _e(f"{w.horizon_months} months from {w.start_month:%b %Y}")],
        ["budget", "none" if w.budget_per_month is None else _e(f"{_usd(w.budget_per_month)} per month")],
    ])]
    tokenizers = sorted({tok for (_, tok) in tokens.prompt_tokens})
    rows = []
    for p in s.prompts:
        traffic = (f"{p.requests_per_day:,} req/day" if p.requests_per_day is not None else f"share {p.share}")
        counts = "<br>".join(
            _e(f"{tokens.prompt_tokens[(p.name, tok)]:,} ({tok}, {'exact' if tokens.exact.get(tok) else 'estimate'})")
            for tok in tokenizers if (p.name, tok) in tokens.prompt_tokens)
        rows.append([_e(p.name), _e(traffic), counts or "—", _e(f"{p.output_tokens:,}"),
                     _e(f"{p.reasoning_tokens:,}")])
    parts += ["<h3>Prompts</h3>", _table(["prompt", "traffic", "prompt tokens", "output tokens",
                                          "reasoning tokens"], rows, numeric=(3, 4))]
    if include_prompt_text:
        for p in s.prompts:
            if p.text:
                parts.append(f"<h4>{_e(p.name)}</h4><pre>{_e(p.text)}</pre>")
    rows = []
    for name in ("caching", "batch", "routing", "distillation", "output_trim", "selfhost"):
        lever = getattr(s.levers, name)
        params = ", ".join(f"{f.name}={getattr(lever, f.name)}" for f in fields(lever) if f.name != "enabled")
        rows.append([_e(LEVER_TITLES.get(name, name)), "on" if lever.enabled else "off", _e(params),
                     _e(getattr(lever, "formula", "")), _e(getattr(lever, "source", ""))])
    parts += ["<h3>Levers</h3>", _table(["lever", "", "parameters", "formula", "source"], rows,
                                        row_classes=[None if r[1] == "on" else "off" for r in rows])]
    return "".join(parts)


def _monthly(result) -> str:
    months = result.projection.months
    types = [t for t in TOKEN_TYPES if any(t in r.by_token_type and r.by_token_type[t] for r in months)]
    models = model_columns(result)
    rows = [[_e(f"{r.month:%b %Y}"), str(r.days), _e(f"{r.requests:,.0f}"), _usd(r.cost), _usd(r.budget),
             _usd(r.headroom), *[_usd(r.by_token_type.get(t, 0)) for t in types],
             *[_usd(r.by_model.get(m, 0)) for m in models]] for r in months]
    numeric = tuple(range(1, 6 + len(types) + len(models)))
    headers = ["month", "days", "requests", "spend", "budget", "headroom", *[_e(t) for t in types],
               *[f"<code>{_e(m)}</code>" for m in models]]
    total = ["<b>total</b>", "", _e(f"{sum(r.requests for r in months):,.0f}"),
             f"<b>{_usd(result.projection.total)}</b>", "", "", *[""] * (len(types) + len(models))]
    return ("<h2>Monthly projection</h2>" + _table(headers, rows + [total], numeric=numeric,
                                                    row_classes=["over" if r.over_budget else None for r in months] + [None]))


def _analysis(result) -> str:
    w, parts = result.waterfall, []
    if w.errors:
        parts.append(f"<h2>Savings by lever</h2><p class='bad'>{_e('; '.join(w.errors))}</p>")
    else:
        pct = (lambda v: f"{v / w.baseline * 100:.1f}%") if w.baseline else (lambda v: "—")
        rows = [["baseline (no levers)", "", "", _usd(w.baseline)]]
        rows += [[_e(st.title), _usd(st.saving) + ("" if st.saving >= 0 else " <span class='bad'>(costs more)</span>"),
                  pct(st.saving), _usd(st.total_after)] for st in w.steps]
        rows.append(["<b>optimized</b>", f"<b>{_usd(w.saving)}</b>", pct(w.saving), f"<b>{_usd(w.optimized)}</b>"])
        parts.append("<h2>Savings by lever (whole horizon)</h2>"
                     + _table(["step", "saving", "of baseline", "total after"], rows, numeric=(1, 2, 3)))
    if result.sensitivity:
        last = result.projection.months[-1].month
        rows = [[_e(b.input), _usd(b.low_cost), _usd(b.base_cost), _usd(b.high_cost), _usd(b.impact)]
                for b in result.sensitivity]
        parts.append(f"<h2>Sensitivity of {last:%b %Y} spend to ±20%</h2>"
                     + _table(["input", "−20%", "base", "+20%", "swing"], rows, numeric=(1, 2, 3, 4)))
    rows = [[f"<code>{_e(result.scenario.primary_model)}</code> (this plan)", _usd(result.projection.total), ""]]
    if result.baseline.ok:
        rows.append([f"<code>{_e(result.scenario.primary_model)}</code> without levers",
                     _usd(result.baseline.total), _usd(result.baseline.total - result.projection.total)])
    for mid, comp in result.comparisons.items():
        if comp.ok:
            rows.append([f"<code>{_e(mid)}</code> with the same levers", _usd(comp.total),
                         _usd(comp.total - result.projection.total)])
        else:
            rows.append([f"<code>{_e(mid)}</code>", f"<span class='bad'>{_e('; '.join(comp.errors))}</span>", ""])
    parts.append("<h2>Comparison totals</h2>"
                 + _table(["plan", "total over the horizon", "vs this plan"], rows, numeric=(1, 2)))
    return "".join(parts)


def _notes(result) -> str:
    p = result.projection
    items = [f"<li class='bad'>{_e(e)}</li>" for e in p.errors]
    items += [f"<li>{_e(n)}</li>" for n in (*result.notes, *p.warnings)]
    items += [f"<li>a scheduled price change takes effect on {d.isoformat()}, inside the horizon</li>"
              for d in p.price_dates]
    estimates = sorted(tok for tok, exact in result.tokens.exact.items() if not exact)
    if estimates:
        items.append(f"<li>token counts for {_e(', '.join(estimates))} are estimates (no offline tokenizer)</li>")
    text = f"<h3>Scenario notes</h3><pre>{_e(result.scenario.notes)}</pre>" if result.scenario.notes else ""
    return "<h2>Notes and warnings</h2>" + (f"<ul>{''.join(items)}</ul>" if items else "<p>None.</p>") + text


def build_report(result, chart_images: Mapping[str, bytes], *, include_prompt_text: bool = False) -> str:
    import base64
    from datetime import datetime

    s = result.scenario
    stale = ""
    if result.stale_prices:
        listed = "; ".join(f"{mid} checked {checked.isoformat()} ({age} days ago)"
                           for mid, checked, age in result.stale_prices)
        stale = f"<div class='warn'><b>Stale prices:</b> {_e(listed)}. Re-check them before relying on this plan.</div>"
    figures = "".join(
        f"<figure><img alt='{_e(name)} chart' src='data:image/png;base64,{base64.b64encode(png).decode('ascii')}'>"
        f"<figcaption>{_e(name)}</figcaption></figure>" for name, png in chart_images.items())
    body = [f"<h1>{_e(s.name)}</h1>",
            f"<p class='sub'>Token Budget report · generated {datetime.now():%Y-%m-%d %H:%M} · all amounts USD</p>",
            stale, _headline(result)]
    if figures:
        body.append("<h2>Charts</h2>" + figures)
    body.append(_inputs(result, include_prompt_text))
    if result.projection.months:
        body.append(_monthly(result))
        body.append(_analysis(result))
    body.append(_notes(result))
    body.append("<footer>Prices come from the model catalog (each with its source and check date); "
                "projections are estimates, not invoices.</footer>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{_e(s.name)} — Token Budget</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>")


def report_html(result, chart_images: Mapping[str, bytes], *, include_prompt_text: bool = False) -> str:
    return build_report(result, chart_images, include_prompt_text=include_prompt_text)


def export_html(result, chart_pngs: Mapping[str, bytes], path: Path | str, *,
                include_prompt_text: bool = False) -> None:
    """A self-contained report (inline CSS, charts as base64 images) for a budget review.

    Prompt texts stay out unless asked for: the report is meant to be attached and forwarded.
    """
    atomic_write_text(path, build_report(result, chart_pngs, include_prompt_text=include_prompt_text),
                      keep_backup=False)
