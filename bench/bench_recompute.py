"""Times one full plan recompute (evaluate: plan, baseline, comparisons, waterfall, sensitivity, inverse solve) against one bare projection of the same plan."""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from any directory

from core.plan import PromptSpec, count_scenario, evaluate, load_demo  # noqa: E402
from core.plan.projection import project  # noqa: E402
from core.prices import load_catalog  # noqa: E402

TODAY = date(2026, 12, 1)  # fixed, so staleness notes (part of evaluate) do not vary between runs
DEMO_TARGET_RATIO = 6
BIG_TARGET_MS = 100

_TOPICS = ("billing", "a failed backup", "sharing a folder", "two-step verification", "a refund",
           "storage limits", "a deleted file", "seat management", "an invoice", "sync conflicts")


def big_scenario(n_prompts: int, horizon: int):
    """The demo plan (every lever as shipped) with `n_prompts` prompts that share its system prompt."""
    demo = load_demo()
    prompts = []
    for i in range(n_prompts):
        template = demo.prompts[i % len(demo.prompts)]
        question = (f"\n\nCustomer #{i}: I have a question about {_TOPICS[i % len(_TOPICS)]} "
                    f"(ticket {1000 + 37 * i}). " + "Please explain the steps. " * (1 + i % 9))
        prompts.append(PromptSpec(f"prompt {i:03d}", text=template.text + question,
                                  share=Decimal(1 + i % 7), output_tokens=120 + (37 * i) % 600,
                                  reasoning_tokens=(i % 3) * 50))
    workload = replace(demo.workload, horizon_months=horizon)
    return demo.with_(name=f"{n_prompts} prompts x {horizon} months", prompts=tuple(prompts), workload=workload)


def time_case(catalog, scenario, runs: int, inner: int) -> tuple[float, float, int]:
    """Medians (seconds) of one bare projection and one full recompute, interleaved run by run.

    Interleaving makes background load on the shared machine hit both alike. The engine keeps no
    cache between calls, so repeating a call measures the same work each time.
    """
    tokens = count_scenario(scenario, catalog)  # counting is not part of a recompute (done once, off the UI thread)
    inputs = scenario.plan_inputs(tokens)
    project(catalog, inputs)
    result = evaluate(scenario, catalog, tokens, today=TODAY)  # warm imports and lazy names
    assert result.projection.ok, result.errors
    one, full = [], []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(inner):
            project(catalog, inputs)
        one.append((time.perf_counter() - start) / inner)
        start = time.perf_counter()
        evaluate(scenario, catalog, tokens, today=TODAY)
        full.append(time.perf_counter() - start)
    return statistics.median(one), statistics.median(full), len(result.sensitivity)


def report(label: str, one: float, full: float, bars: int, target: str) -> None:
    print(f"{label}")
    print(f"  one bare projection   median {one * 1e3:8.3f} ms")
    print(f"  full recompute        median {full * 1e3:8.3f} ms  ({bars} sensitivity bars)")
    print(f"  ratio full/projection        {full / one:8.2f}x   target: {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case (median reported)")
    parser.add_argument("--smoke", action="store_true",
                        help="a second or two: few runs and a small 'big' plan, same code paths")
    args = parser.parse_args(argv)
    runs = 2 if args.smoke else max(1, args.runs)
    n_prompts, horizon = (6, 6) if args.smoke else (100, 36)

    catalog, _ = load_catalog(user=False)
    print(f"bench_recompute: medians of {runs} interleaved runs" + (" (smoke: not a measurement)" if args.smoke else ""))

    one, full, bars = time_case(catalog, load_demo(), runs, inner=1 if args.smoke else 20)
    met = "met" if full / one <= DEMO_TARGET_RATIO else "NOT met"
    report("demo scenario (3 prompts x 12 months, caching + batch + cascade, 2 comparisons)",
           one, full, bars, f"<= {DEMO_TARGET_RATIO}x ({met})")

    big = big_scenario(n_prompts, horizon)
    one, full, bars = time_case(catalog, big, max(1, runs // 3) if not args.smoke else 1, inner=1)
    met = "met" if full * 1e3 <= BIG_TARGET_MS else "NOT met"
    report(f"{big.name} (demo levers, 2 comparisons)", one, full, bars,
           f"full recompute <= {BIG_TARGET_MS} ms ({met})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
