"""What a plan result shows, Qt-free: headline cards, lever lines, tables and the monthly CSV for the app and the CLI.

The GUI's panels and HTML report and the CLI's text all print these values, so a figure reads the
same everywhere (moneyGuru's presenters are the model: the views only lay the text out).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.base import csv_money, percent, usd, usd_budget, usd_whole, whole
from core.plan.evaluation import PlanResult
from core.plan.projection import TOKEN_TYPES

SENSITIVITY_PCT = 20  # core.plan.analysis perturbs each input by ±20%


@dataclass(frozen=True)
class Card:
    """One headline card: a title line, one big value, a detail line; tone is "good", "bad" or ""."""

    key: str
    title: str
    value: str
    detail: str
    tone: str = ""


@dataclass(frozen=True)
class Table:
    """Text cells ready to print; `numeric` are right-aligned columns, `row_tones` mark rows ("bad", "total")."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[int, ...] = ()
    row_tones: tuple[str, ...] = ()


def month_label(day: date) -> str:
    return day.strftime("%b %Y")


# --- headline cards -----------------------------------------------------------------------------


def headline_cards(result: PlanResult, today: date | None = None) -> tuple[Card, ...]:
    """This (or the first) month, the last month, the budget verdict, the levers' saving, the capacity."""
    months = result.projection.months
    if not months:
        return ()
    today = (today or date.today()).replace(day=1)
    this = next((m for m in months if m.month == today), None)
    first = this or months[0]
    last = months[-1]
    growth = result.scenario.workload.growth_pct_per_month
    return (
        Card("first", "This month" if this else f"First month · {month_label(first.month)}",
             usd_whole(first.cost), f"{whole(first.requests)} requests"),
        Card("last", f"Month {len(months)}", usd_whole(last.cost),
             f"{month_label(last.month)} · growth {growth:g}%/month"),
        budget_card(result),
        saving_card(result),
        capacity_card(result),
    )


def budget_card(result: PlanResult) -> Card:
    projection = result.projection
    cap = result.scenario.workload.budget_per_month
    if cap is None:
        return Card("budget", "Budget", "no cap", "set a monthly cap in Workload & budget")
    title = f"Budget {usd_whole(cap)}/month"
    breach = projection.first_breach
    if breach is not None:
        return Card("budget", title, f"breached in {month_label(breach.month)}",
                    f"{usd_whole(breach.cost)} vs cap {usd_whole(cap)}", "bad")
    headroom = projection.min_headroom or Decimal(0)
    tight = min(projection.months, key=lambda m: m.headroom if m.headroom is not None else cap)
    return Card("budget", title, "within budget",
                f"headroom ≥ {usd_whole(headroom)} ({month_label(tight.month)})", "good")


def saving_card(result: PlanResult) -> Card:
    falls = result.waterfall
    if not falls.steps:
        return Card("saving", "Levers save", "0%", "no API lever switched on")
    pct = falls.saving_pct
    tone = "good" if pct > 0 else "bad" if pct < 0 else ""
    return Card("saving", "Levers save", f"{pct:.0f}%",
                f"{usd_whole(falls.saving)} over {len(result.projection.months)} months", tone)


def capacity_card(result: PlanResult) -> Card:
    title = "Max requests/day within budget"
    best = result.max_requests_per_day
    first = result.projection.months[0]
    current = first.requests / first.days  # every prompt's traffic, own requests/day included
    if result.scenario.workload.budget_per_month is None:
        return Card("capacity", title, "—", "needs a monthly cap")
    if best is None:
        return Card("capacity", title, "none", "even 1 request/day exceeds the cap", "bad")
    return Card("capacity", title, f"{best:,}",
                f"now {whole(current)}/day, all {len(result.projection.months)} months",
                "good" if best >= current else "bad")


# --- lever lines --------------------------------------------------------------------------------


def lever_lines(result: PlanResult) -> dict[str, tuple[str, str]]:
    """Lever name -> (the saving line beside its switch, tone) for every lever the waterfall priced."""
    falls = result.waterfall
    months = len(result.projection.months)
    lines = {}
    for step in falls.steps:
        share = step.saving / falls.baseline if falls.baseline else Decimal(0)
        verb = "saves" if step.saving >= 0 else "costs"
        tone = "good" if step.saving > 0 else "bad" if step.saving < 0 else ""
        lines[step.lever] = (f"{verb} {usd_whole(abs(step.saving))} over {months} months "
                             f"({percent(abs(share), 1)} of baseline)", tone)
    return lines


# --- tables -------------------------------------------------------------------------------------


def model_columns(result: PlanResult) -> list[str]:
    """Every model that has spend in some month, in order of first appearance."""
    seen: dict[str, None] = {}
    for row in result.projection.months:
        for mid in row.by_model:
            seen.setdefault(mid, None)
    return list(seen)


def monthly_table(result: PlanResult) -> Table:
    p = result.projection
    budget = result.scenario.workload.budget_per_month
    rows = [(f"{r.month:%Y-%m}", whole(r.requests), usd(r.cost),
             usd(r.headroom) if budget is not None else "", "OVER" if r.over_budget else "") for r in p.months]
    return Table("monthly projection", ("month", "requests", "spend", "headroom", "status"), tuple(rows), (1, 2, 3),
                 tuple("bad" if r.over_budget else "" for r in p.months))


def totals_line(result: PlanResult) -> str:
    p = result.projection
    line = f"total over {len(p.months)} months: {usd(p.total)}"
    if result.baseline.ok:
        line += f" (no levers: {usd(result.baseline.total)})"
    return line


def budget_verdict(result: PlanResult) -> str | None:
    p = result.projection
    budget = result.scenario.workload.budget_per_month
    if budget is None:
        return None
    breach = p.first_breach
    if breach:
        return f"budget {usd_budget(budget)}/month is BREACHED in {breach.month:%B %Y}"
    return f"stays within the {usd_budget(budget)}/month budget (lowest headroom {usd(p.min_headroom)})"


def waterfall_table(result: PlanResult) -> Table:
    w = result.waterfall
    share = (lambda v: percent(v / w.baseline, 1)) if w.baseline else (lambda v: "—")
    rows = [("baseline (no levers)", "", "", usd(w.baseline))]
    rows += [(step.title, usd(step.saving) + ("" if step.saving >= 0 else " (costs more)"), share(step.saving),
              usd(step.total_after)) for step in w.steps]
    rows.append(("optimized", usd(w.saving), share(w.saving), usd(w.optimized)))
    return Table("savings by lever (whole horizon)", ("step", "saving", "of baseline", "total after"),
                 tuple(rows), (1, 2, 3), ("",) + tuple("bad" if s.saving < 0 else "" for s in w.steps) + ("total",))


def sensitivity_table(result: PlanResult) -> Table:
    months = result.projection.months
    last = month_label(months[-1].month) if months else ""
    rows = tuple((b.input, usd(b.low_cost), usd(b.base_cost), usd(b.high_cost), usd(b.impact))
                 for b in result.sensitivity)
    return Table(f"sensitivity of {last} spend to ±{SENSITIVITY_PCT}% on each input",
                 ("input", f"−{SENSITIVITY_PCT}%", "base", f"+{SENSITIVITY_PCT}%", "swing"), rows, (1, 2, 3, 4))


def comparison_table(result: PlanResult) -> Table:
    """This plan, its no-lever baseline and each comparison model with the same traffic and levers."""
    mine = result.projection.total
    primary = result.scenario.primary_model
    rows = [(f"{primary} (this plan)", usd(mine), "")]
    if result.baseline.ok:
        rows.append((f"{primary} without levers", usd(result.baseline.total), usd(result.baseline.total - mine)))
    for mid, comp in result.comparisons.items():
        if comp.ok:
            rows.append((f"{mid} with the same levers", usd(comp.total), usd(comp.total - mine)))
        else:
            rows.append((mid, "; ".join(map(str, comp.errors)), ""))
    return Table("comparison totals (whole horizon)", ("plan", "total", "vs this plan"), tuple(rows), (1, 2))


# --- the monthly CSV ----------------------------------------------------------------------------


def csv_columns(result: PlanResult) -> list[str]:
    return ["month", "days", "requests", "cost_usd", "budget_usd", "headroom_usd", "over_budget",
            *[f"{t}_usd" for t in TOKEN_TYPES], *[f"model:{m}_usd" for m in model_columns(result)],
            *[f"compare:{m}_usd" for m in result.comparisons]]


def monthly_csv(result: PlanResult) -> str:
    """The monthly table the app exports and `project --csv` writes: money to the cent, whole requests.

    Per token type and per model the cents are each rounded, so a row's parts can differ from its
    cost by a cent or so; the JSON output carries the exact Decimals.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(csv_columns(result))
    models = model_columns(result)
    comparisons = {mid: {r.month: r.cost for r in comp.months} for mid, comp in result.comparisons.items()}
    for r in result.projection.months:
        writer.writerow([
            r.month.strftime("%Y-%m"), r.days, csv_money(r.requests, 0), csv_money(r.cost),
            csv_money(r.budget), csv_money(r.headroom), "yes" if r.over_budget else "no",
            *[csv_money(r.by_token_type.get(t, Decimal(0))) for t in TOKEN_TYPES],
            *[csv_money(r.by_model.get(m, Decimal(0))) for m in models],
            *[csv_money(costs.get(r.month)) for costs in comparisons.values()],
        ])
    return out.getvalue()
