"""`project` and `demo`: monthly table, budget verdict, savings waterfall and sensitivity."""
from __future__ import annotations

import sys

from cli import CliError, emit_json
from cli.common import exact, load_catalog_or_fail, print_table
from core.base import plural


def add_parser(sub) -> None:
    for name, help_text in (("project", "project monthly spend of a scenario file"),
                            ("demo", "project the bundled demo scenario")):
        p = sub.add_parser(name, help=help_text)
        if name == "project":
            p.add_argument("scenario", help="scenario YAML file")
        p.add_argument("--csv", metavar="FILE", help="also write the monthly table as CSV")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=run)


def _load(args):
    from core.plan import demo_scenario_path, load_scenario

    path = demo_scenario_path() if args.command == "demo" else args.scenario
    scenario, errors = load_scenario(path)
    if scenario is None:
        raise CliError("; ".join(str(e) for e in errors[:3]) + (f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""))
    return scenario


def month_record(row) -> dict:
    return {
        "month": row.month.strftime("%Y-%m"), "days": row.days, "requests": exact(row.requests),
        "cost": exact(row.cost), "budget": None if row.budget is None else exact(row.budget),
        "over_budget": row.over_budget, "headroom": None if row.headroom is None else exact(row.headroom),
        "by_token_type": {k: exact(v) for k, v in row.by_token_type.items()},
        "by_model": {k: exact(v) for k, v in row.by_model.items()},
    }


def result_json(result) -> dict:
    p = result.projection
    breach = p.first_breach
    return {
        "scenario": result.scenario.name,
        "primary_model": result.scenario.primary_model,
        "months": [month_record(r) for r in p.months],
        "total": exact(p.total),
        "baseline_total": exact(result.baseline.total) if result.baseline.ok else None,
        "budget_per_month": None if result.scenario.workload.budget_per_month is None
        else exact(result.scenario.workload.budget_per_month),
        "first_breach": breach.month.strftime("%Y-%m") if breach else None,
        "min_headroom": None if p.min_headroom is None else exact(p.min_headroom),
        "max_requests_per_day_within_budget": result.max_requests_per_day,
        "waterfall": {
            "baseline": exact(result.waterfall.baseline), "optimized": exact(result.waterfall.optimized),
            "steps": [{"lever": s.lever, "title": s.title, "saving": exact(s.saving),
                       "total_after": exact(s.total_after)} for s in result.waterfall.steps],
        },
        "sensitivity": [{"input": b.input, "low": exact(b.low_cost), "high": exact(b.high_cost),
                         "base": exact(b.base_cost), "impact": exact(b.impact)} for b in result.sensitivity],
        "comparisons": {mid: {"total": exact(c.total) if c.ok else None, "errors": list(c.errors),
                              "months": [{"month": r.month.strftime("%Y-%m"), "cost": exact(r.cost)} for r in c.months]}
                        for mid, c in result.comparisons.items()},
        "token_counts": {f"{name} / {tok}": n for (name, tok), n in result.tokens.prompt_tokens.items()},
        "shared_prefix_tokens": dict(result.tokens.prefix_tokens),
        "warnings": list(p.warnings) + list(result.notes),
        "problems": [{"severity": q.severity, "field": q.field, "message": q.message} for q in result.problems],
        "errors": list(p.errors),
    }


def write_csv(path: str, result) -> None:
    """The app's monthly CSV (core.plan.report), written atomically: a full disk leaves the old file."""
    from core.base import atomic_write_text
    from core.plan import monthly_csv

    try:
        atomic_write_text(path, monthly_csv(result), keep_backup=False)
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        raise CliError(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}") from None


def run(args) -> int:
    from core.plan import calibration_factors, count_scenario, evaluate

    scenario = _load(args)
    catalog = load_catalog_or_fail()
    tokens = count_scenario(scenario, catalog)
    result = evaluate(scenario, catalog, tokens, token_factors=calibration_factors())
    if not result.projection.ok:
        raise CliError("; ".join(map(str, result.projection.problems)))
    if args.csv:
        write_csv(args.csv, result)
    if args.json:
        emit_json(result_json(result))
        return 0
    print_report(result)
    return 0


def print_report(result) -> None:
    s = result.scenario
    print(f"{s.name} — primary model {s.primary_model}; {s.workload.requests_per_day:,} requests/day, "
          f"growth {s.workload.growth_pct_per_month}%/month, {s.workload.horizon_months} months")
    for (name, tok), n in sorted(result.tokens.prompt_tokens.items()):
        exact = "exact" if result.tokens.exact.get(tok) else "estimate"
        print(f"  prompt {name!r}: {plural(n, 'token')} ({tok}, {exact})")
    for tok, n in sorted(result.tokens.prefix_tokens.items()):
        if n:
            sizes = [v for (_name, t), v in result.tokens.prompt_tokens.items() if t == tok and v]
            share = f", {n / max(sizes):.0%}–{n / min(sizes):.0%} of each prompt" if sizes else ""
            print(f"  shared (cacheable) prefix: {plural(n, 'token')} ({tok}{share})")
    print()
    from core.plan import budget_verdict, comparison_table, monthly_table, sensitivity_table, totals_line
    from core.plan import waterfall_table

    _print(monthly_table(result), title=False)
    print(totals_line(result))
    verdict = budget_verdict(result)
    if verdict:
        print(verdict)
        if result.max_requests_per_day is not None:
            print(f"largest traffic that stays within budget every month: {result.max_requests_per_day:,} requests/day")
    _print(waterfall_table(result))
    if result.sensitivity:
        _print(sensitivity_table(result))
    if result.comparisons:
        _print(comparison_table(result))
    for problem in result.problems:  # the same Problems the app lists, printed the same way
        print(problem, file=sys.stderr)


def _print(table, title: bool = True) -> None:
    if title:
        print(f"\n{table.title}")
    align = "".join("r" if i in table.numeric else "l" for i in range(len(table.headers)))
    print_table(table.headers, table.rows, align)
