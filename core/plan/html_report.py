"""The plan as a self-contained HTML report: the report layer's cards and tables, escaped, with chart images."""
from __future__ import annotations

from dataclasses import fields
from html import escape
from typing import Any, Mapping

from core.base import usd_budget
from core.plan.evaluation import PlanResult
from core.plan.levers import LEVER_TITLES
from core.plan.report import (Table, comparison_table, headline_cards, monthly_table, sensitivity_table,
                              waterfall_table)

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
tr.over td{background:#fdecea}tr.total td{font-weight:600}tr.off td{color:#8a949c}
figure{margin:10px 0 18px}figure img{max-width:100%;border:1px solid #d5dbe1}
figcaption{color:#5b6670;font-size:12px}
code{font-size:12px;background:#f1f4f7;padding:1px 4px;border-radius:3px}
pre{white-space:pre-wrap;background:#f7f9fa;border:1px solid #d5dbe1;padding:8px;font-size:12px}
footer{color:#5b6670;font-size:12px;margin-top:28px}
"""


def _e(value) -> str:
    return escape(str(value), quote=True)


def _value(value: Any) -> str:
    """A lever parameter as a person writes it: no Python None/True/False in a report."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _table(table: Table) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in table.headers)
    classes = {"bad": "over", "total": "total"}
    body = []
    for i, row in enumerate(table.rows):
        tone = table.row_tones[i] if i < len(table.row_tones) else ""
        cls = f' class="{classes[tone]}"' if tone in classes else ""
        cells = "".join(f'<td class="n">{_e(c)}</td>' if j in table.numeric else f"<td>{_e(c)}</td>"
                        for j, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _html_table(headers, rows, numeric=(), row_classes=None) -> str:
    """Rows of already-escaped cells (the inputs section mixes markup into them)."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(f'<td class="n">{c}</td>' if j in numeric else f"<td>{c}</td>" for j, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _headline(result: PlanResult) -> str:
    tone = {"bad": "bad", "good": "good"}
    cards = "".join(f"<div class='card'><span>{_e(c.title)}</span><b class='{tone.get(c.tone, '')}'>{_e(c.value)}</b>"
                    f"<span>{_e(c.detail)}</span></div>" for c in headline_cards(result))
    return f'<div class="cards">{cards}</div>'


def _section(table: Table) -> str:
    return f"<h2>{_e(table.title[:1].upper() + table.title[1:])}</h2>" + _table(table)


def _analysis(result: PlanResult) -> str:
    w, parts = result.waterfall, []
    if w.errors:
        parts.append(f"<h2>Savings by lever</h2><p class='bad'>{_e('; '.join(map(str, w.errors)))}</p>")
    else:
        parts.append(_section(waterfall_table(result)))
    if result.sensitivity:
        parts.append(_section(sensitivity_table(result)))
    parts.append(_section(comparison_table(result)))
    return "".join(parts)


def _inputs(result, include_prompt_text: bool) -> str:
    s, w, tokens = result.scenario, result.scenario.workload, result.tokens
    parts = ["<h2>Inputs</h2>", _html_table(["setting", "value"], [
        ["primary model", f"<code>{_e(s.primary_model)}</code>"],
        ["compared with", ", ".join(f"<code>{_e(m)}</code>" for m in s.comparison_models) or "—"],
        ["requests/day (month 1)", _e(f"{w.requests_per_day:,}")],
        ["growth", _e(f"{w.growth_pct_per_month}% per month")],
        ["horizon", _e(f"{w.horizon_months} months from {w.start_month:%b %Y}")],
        ["budget", "none" if w.budget_per_month is None else _e(f"{usd_budget(w.budget_per_month)} per month")],
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
    parts += ["<h3>Prompts</h3>", _html_table(["prompt", "traffic", "prompt tokens", "output tokens",
                                          "reasoning tokens"], rows, numeric=(3, 4))]
    if include_prompt_text:
        for p in s.prompts:
            if p.text:
                parts.append(f"<h4>{_e(p.name)}</h4><pre>{_e(p.text)}</pre>")
    rows = []
    for name in ("caching", "batch", "routing", "distillation", "output_trim", "selfhost"):
        lever = getattr(s.levers, name)
        params = ", ".join(f"{f.name}={_value(getattr(lever, f.name))}" for f in fields(lever) if f.name != "enabled")
        rows.append([_e(LEVER_TITLES.get(name, name)), "on" if lever.enabled else "off", _e(params),
                     _e(getattr(lever, "formula", "")), _e(getattr(lever, "source", ""))])
    parts += ["<h3>Levers</h3>", _html_table(["lever", "", "parameters", "formula", "source"], rows,
                                        row_classes=[None if r[1] == "on" else "off" for r in rows])]
    return "".join(parts)


def _notes(result) -> str:
    p = result.projection
    items = [f"<li class='bad'>{_e(q.message)}</li>" if q.severity == "error" else f"<li>{_e(q.message)}</li>"
             for q in result.problems]
    items += [f"<li>a scheduled price change takes effect on {d.isoformat()}, inside the horizon</li>"
              for d in p.price_dates]
    estimates = sorted(tok for tok, exact in result.tokens.exact.items() if not exact)
    if estimates:
        items.append(f"<li>token counts for {_e(', '.join(estimates))} are estimates (no offline tokenizer)</li>")
    text = f"<h3>Scenario notes</h3><pre>{_e(result.scenario.notes)}</pre>" if result.scenario.notes else ""
    return "<h2>Notes and warnings</h2>" + (f"<ul>{''.join(items)}</ul>" if items else "<p>None.</p>") + text


def report_html(result: PlanResult, chart_images: Mapping[str, bytes], *, include_prompt_text: bool = False) -> str:
    """A self-contained page (inline CSS, charts as base64 PNGs): nothing in it loads from the network."""
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
        body.append(_section(monthly_table(result)))
        body.append(_analysis(result))
    body.append(_notes(result))
    body.append("<footer>Prices come from the model catalog (each with its source and check date); "
                "projections are estimates, not invoices.</footer>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{_e(s.name)} — Token Budget</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>")
