"""ScenarioController: owns the current Scenario, debounces edits, counts and evaluates off the UI thread, publishes results."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import replace
from decimal import Decimal
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from core.base import Problem
from core.prices import Catalog
from core.plan import (
    PlanResult, PromptSpec, Scenario, TokenTable, calibration_factors, check_scenario, count_scenario,
    evaluate, read_field, tokenizers_for)
from gui.jobs import Job, JobRunner

DEBOUNCE_MS = 120
CACHE_SIZE = 512  # (text digest, tokenizer) entries; typing creates one per debounced edit
BIG_JOB_CHARS = 200_000  # above this a count shows a progress bar
UNDO_DEPTH = 100
PLAN_JOBS = ("counts", "evaluate", "sensitivity", "selfhost")  # one recompute's jobs: a newer one drops them
COUNT_LANE, PLAN_LANE, SENSITIVITY_LANE = "token-count", "plan", "sensitivity"  # worker threads
# A published plan's follow-ups (sensitivity bars, break-even) wait this long, so that drawing the
# cards and the visible chart does not share the GIL with a worker re-projecting the plan.
FOLLOW_UP_DELAY_MS = 30


def default_count(text: str, tokenizer: str):
    from core.tokens import count_tokens  # imported on the worker: vocabularies load there

    # incremental: a large prompt is remembered as chunk counts, so counting its next edited
    # version recounts only the chunks that changed (~1 ms instead of ~0.4 s for 10 MB).
    return count_tokens(text, tokenizer, incremental=True)


class ScenarioController(QObject):
    """Panels report edits here; this publishes results. Panels never price anything themselves.

    Counting, evaluating, the sensitivity bars and the self-host comparison are jobs of one
    JobRunner (gui.jobs): each recompute makes the previous one's jobs stale, and every outcome is
    published from the UI thread (a value, or a Problem on error_raised / breakeven_ready).
    """

    scenario_changed = Signal(object)   # every accepted edit: panels refresh their widgets
    scenario_replaced = Signal(object)  # New / Open / undo: panels rebuild lists too
    result_ready = Signal(object)       # PlanResult; sensitivity may still be () (see below)
    sensitivity_ready = Signal(object)  # the same PlanResult with its sensitivity bars
    counts_ready = Signal(object)       # {(prompt name, tokenizer): TokenCount}
    counting_changed = Signal(bool, str)  # busy?, message for the progress indicator
    count_progress = Signal(int, int)   # done, total (text × tokenizer counts of the current job)
    breakeven_ready = Signal(object)    # (SelfHostEstimate, BreakEven), a Problem (no fit), or None (lever off)
    error_raised = Signal(object)       # a core.base.Problem: a refused edit or a failed job

    def __init__(self, catalog: Catalog, scenario: Scenario | None = None, *,
                 counter: Callable[[str, str], Any] | None = None, debounce_ms: int = DEBOUNCE_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self.token_factors = calibration_factors()  # the user's billed-count calibrations
        self._scenario = scenario or Scenario()
        self._count = counter or default_count
        self._runner = JobRunner(self, name=PLAN_LANE)
        self._cache: OrderedDict[tuple[bytes, str], Any] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._table: TokenTable | None = None
        self._table_key: tuple | None = None
        self._counts: dict[tuple[str, str], Any] = {}
        self._result: PlanResult | None = None
        self._undo: list[Scenario] = []
        self._redo: list[Scenario] = []
        self._busy = False
        self.path: str | None = None
        self._saved: Scenario | None = self._scenario
        self._debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self._debounce.timeout.connect(self._recompute)

    # --- state --------------------------------------------------------------------------------

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def result(self) -> PlanResult | None:
        """The last good result (kept while an edit produces errors)."""
        return self._result

    @property
    def counts(self) -> dict[tuple[str, str], Any]:
        return self._counts

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def dirty(self) -> bool:
        return self._scenario != self._saved

    def mark_saved(self, path: str) -> None:
        self.path, self._saved = path, self._scenario

    # --- edits --------------------------------------------------------------------------------

    def set_scenario(self, scenario: Scenario, path: str | None = None, *, dirty: bool = False) -> None:
        """Replace the whole plan (New, Open, a recovered autosave): history restarts, no debounce."""
        problems = check_scenario(scenario)
        if problems:
            self.error_raised.emit(_problem(problems))
            return
        self._scenario, self.path, self._saved = scenario, path, (None if dirty else scenario)
        self._undo.clear()
        self._redo.clear()
        self.scenario_replaced.emit(scenario)
        self.recompute_now()

    def reload_calibration(self) -> None:
        """After a calibration was recorded or reset: counts shown and priced with the new factors."""
        self.token_factors = calibration_factors()
        self.counts_ready.emit(self._counts)
        self.recompute_now()

    def set_catalog(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._table_key = None  # tokenizers may have changed with the catalog
        self.recompute_now()

    def update(self, **changes: Any) -> bool:
        """Replace Scenario fields; refused (error_raised) when the result would be invalid."""
        return self._accept(self._scenario.with_(**changes))

    def update_workload(self, **changes: Any) -> bool:
        try:
            converted = {k: self._convert_workload(k, v) for k, v in changes.items()}
        except ValueError as exc:
            self.error_raised.emit(_problem(f"workload: {exc}"))
            return False
        return self._accept(self._scenario.with_(workload=replace(self._scenario.workload, **converted)))

    @staticmethod
    def _convert_workload(key: str, value: Any) -> Any:
        return read_field(f"workload.{key}", value)  # the YAML loader's rule for the same field

    def update_lever(self, name: str, **changes: Any) -> bool:
        lever = getattr(self._scenario.levers, name)
        try:
            converted = {}
            for key, value in changes.items():
                converted[key] = read_field(f"levers.{name}.{key}", value)
        except ValueError as exc:
            self.error_raised.emit(_problem(f"{name}: {exc}"))
            return False
        levers = replace(self._scenario.levers, **{name: replace(lever, **converted)})
        return self._accept(self._scenario.with_(levers=levers))

    def update_prompt(self, index: int, **changes: Any) -> bool:
        prompts = list(self._scenario.prompts)
        try:
            for key in ("share", "requests_per_day"):
                if changes.get(key) is not None:
                    changes[key] = read_field(f"prompts.{key}", changes[key])
        except ValueError as exc:
            self.error_raised.emit(_problem(f"{prompts[index].name}: {exc}"))
            return False
        prompts[index] = replace(prompts[index], **changes)
        return self._accept(self._scenario.with_(prompts=tuple(prompts)))

    def unique_name(self, wanted: str, ignore: int | None = None) -> str:
        taken = {p.name for i, p in enumerate(self._scenario.prompts) if i != ignore}
        wanted = wanted.strip() or "Prompt"
        name, n = wanted, 2
        while name in taken:
            name, n = f"{wanted} ({n})", n + 1
        return name

    def add_prompt(self, name: str = "New prompt", text: str = "", output_tokens: int = 300) -> int:
        # A new prompt takes no traffic until the user gives it some: a share of 1 silently halved
        # every other prompt's traffic and could flip the budget verdict with nothing typed. The
        # plan's first prompt gets all the traffic, or the plan would have none.
        share = Decimal(0) if self._scenario.prompts else Decimal(1)
        spec = PromptSpec(name=self.unique_name(name), text=text, output_tokens=output_tokens, share=share)
        self._accept(self._scenario.with_(prompts=self._scenario.prompts + (spec,)))
        return len(self._scenario.prompts) - 1

    def duplicate_prompt(self, index: int) -> int:
        source = self._scenario.prompts[index]
        copy = replace(source, name=self.unique_name(f"{source.name} copy"))
        prompts = list(self._scenario.prompts)
        prompts.insert(index + 1, copy)
        self._accept(self._scenario.with_(prompts=tuple(prompts)))
        return index + 1

    def remove_prompt(self, index: int) -> None:
        prompts = list(self._scenario.prompts)
        del prompts[index]
        self._accept(self._scenario.with_(prompts=tuple(prompts)))

    def rename_prompt(self, index: int, name: str) -> str:
        name = self.unique_name(name, ignore=index)
        self.update_prompt(index, name=name)
        return name

    def set_primary(self, model_id: str) -> None:
        comparisons = tuple(m for m in self._scenario.comparison_models if m != model_id)
        self.update(primary_model=model_id, comparison_models=comparisons)

    def set_comparison(self, model_id: str, on: bool) -> None:
        current = [m for m in self._scenario.comparison_models if m != model_id]
        if on and model_id != self._scenario.primary_model:
            current.append(model_id)
        self.update(comparison_models=tuple(current))

    def _accept(self, new: Scenario) -> bool:
        if new == self._scenario:
            return True
        problems = check_scenario(new)
        if problems:
            self.error_raised.emit(_problem(problems))
            return False
        # One undo step per burst of edits (typing, dragging a slider), not per keystroke.
        if not self._debounce.isActive():
            self._undo = (self._undo + [self._scenario])[-UNDO_DEPTH:]
            self._redo.clear()
        self._scenario = new
        self.scenario_changed.emit(new)
        self._debounce.start()
        return True

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> None:
        if self._undo:
            self._redo.append(self._scenario)
            self._restore(self._undo.pop())

    def redo(self) -> None:
        if self._redo:
            self._undo.append(self._scenario)
            self._restore(self._redo.pop())

    def _restore(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self.scenario_replaced.emit(scenario)
        self.recompute_now()

    # --- recompute ----------------------------------------------------------------------------

    def recompute_now(self) -> None:
        self._debounce.stop()
        self._recompute()

    def _recompute(self) -> None:
        """Start the jobs for the current scenario: count (if the texts changed), then evaluate.

        Everything an older recompute still has in flight is stale from here on and is dropped.
        """
        self._runner.cancel(*PLAN_JOBS)
        snap, catalog = self._scenario, self._catalog
        tokenizers = frozenset(tokenizers_for(snap, catalog))
        key = (tuple((p.name, p.text, p.fixed_tokens) for p in snap.prompts), tokenizers)
        if key == self._table_key and self._table is not None:
            self._set_busy(False, "")
            self._submit_evaluate(snap, self._table)
            return
        chars = sum(len(p.text) for p in snap.prompts)
        self._set_busy(True, f"counting {chars / 1e6:.1f} M characters…" if chars > BIG_JOB_CHARS
                       else "counting…")
        self._runner.submit("counts", self._count_job, snap, catalog, tokenizers, key, lane=COUNT_LANE,
                            on_done=self._counted, on_problem=self._count_failed,
                            on_progress=self.count_progress.emit, context="token counting failed")

    @property
    def idle(self) -> bool:
        """No edit waiting for its recompute and no job in flight: what is shown is final."""
        return not self._debounce.isActive() and self._runner.idle

    @property
    def _jobs(self) -> list:
        """The plan jobs still in flight (tests that wait for the controller to settle read this)."""
        return self._runner.pending()

    def _digest(self, text: str) -> bytes:
        h = hashlib.blake2b(digest_size=16)
        for i in range(0, len(text), 1 << 20):  # 1M characters at a time: no 10 MB copy of a big prompt
            h.update(text[i:i + (1 << 20)].encode("utf-8", "surrogatepass"))
        return h.digest()

    def _count_job(self, job: Job, snap: Scenario, catalog: Catalog, tokenizers: frozenset[str], key: tuple):
        """Worker thread: count what the cache lacks; stop early when a newer edit arrives."""
        from core.tokens import LargeText  # on the worker: keeps the counting modules off start-up

        digests: dict[int, bytes] = {}
        texts = [p.text for p in snap.prompts if p.fixed_tokens is None and p.text]
        total, done = (len(texts) + 1) * len(tokenizers), 0

        def lookup(text: str, tokenizer: str):
            nonlocal done
            job.check()
            if isinstance(text, LargeText):  # remembers its own chunk counts; no digest to pay for
                done += 1
                return self._count(text, tokenizer)
            digest = digests.get(id(text)) or digests.setdefault(id(text), self._digest(text))
            with self._cache_lock:
                hit = self._cache.get((digest, tokenizer))
                if hit is not None:
                    self._cache.move_to_end((digest, tokenizer))
            if hit is None:
                hit = self._count(text, tokenizer)
                with self._cache_lock:
                    self._cache[(digest, tokenizer)] = hit
                    while len(self._cache) > CACHE_SIZE:
                        self._cache.popitem(last=False)
            done += 1
            job.report(min(done, total), total)
            return hit

        table = count_scenario(snap, catalog, lambda text, tok: lookup(text, tok).tokens)
        counts = {(p.name, tok): lookup(p.text, tok) for p in snap.prompts
                  if p.fixed_tokens is None for tok in tokenizers}
        return table, counts, key, snap

    def _counted(self, payload: tuple) -> None:
        table, counts, key, snap = payload
        self._table, self._table_key, self._counts = table, key, counts
        self._set_busy(False, "")
        self.counts_ready.emit(counts)
        # The counted snapshot, not self._scenario: an edit made while counting (its recompute
        # still debouncing) may have added a prompt this table does not hold.
        self._submit_evaluate(snap, table)

    def _count_failed(self, problem: Problem) -> None:
        self._set_busy(False, "")
        self.error_raised.emit(problem)

    def _submit_evaluate(self, snap: Scenario, table: TokenTable) -> None:
        # Everything the job reads is passed in: the catalog or calibration may change meanwhile.
        self._runner.submit("evaluate", _evaluate_job, snap, self._catalog, table, self.token_factors,
                            lane=PLAN_LANE, on_done=self._evaluated, on_problem=self.error_raised.emit,
                            context="could not compute the plan")

    def _evaluated(self, result: PlanResult) -> None:
        """UI thread: publish the plan, then start its follow-ups (sensitivity bars, break-even)."""
        self._result = result
        self.result_ready.emit(result)
        snap, catalog = result.scenario, self._catalog
        # Sensitivity re-projects the plan many times: its own lane, so the next edit's plan does
        # not queue behind a stale one.
        self._runner.submit("sensitivity", _sensitivity_job, snap, catalog, result.tokens, self.token_factors,
                            lane=SENSITIVITY_LANE, on_done=lambda bars: self._sensitivity_done(result, bars),
                            on_problem=self.error_raised.emit, context="sensitivity", delay_ms=FOLLOW_UP_DELAY_MS)
        if snap.levers.selfhost.enabled:
            # An impossible deployment is an answer for the chart, not an error: both go to breakeven_ready.
            self._runner.submit("selfhost", _selfhost_job, result, catalog, lane=PLAN_LANE,
                                on_done=self.breakeven_ready.emit, on_problem=self.breakeven_ready.emit,
                                delay_ms=FOLLOW_UP_DELAY_MS)
        else:
            self.breakeven_ready.emit(None)

    def _sensitivity_done(self, result: PlanResult, bars: tuple) -> None:
        if self._result is not result:
            return  # another plan was published meanwhile; its own bars are on their way
        self._result = replace(result, sensitivity=bars)
        self.sensitivity_ready.emit(self._result)

    def _set_busy(self, busy: bool, message: str) -> None:
        if busy != self._busy or busy:
            self._busy = busy
            self.counting_changed.emit(busy, message)

    def shutdown(self) -> None:
        """Stop: running jobs end at their next check and nothing more is published."""
        self._debounce.stop()
        self._runner.shutdown()


def _evaluate_job(job: Job, snap: Scenario, catalog: Catalog, table: TokenTable, factors: dict):
    """Worker: the plan without its sensitivity bars (those follow as their own job)."""
    job.check()
    result = evaluate(snap, catalog, table, with_sensitivity=False, token_factors=factors)
    if result.errors:  # an unpriceable plan: the last good result stays on screen
        return _problem(result.errors)
    return result


def _sensitivity_job(job: Job, snap: Scenario, catalog: Catalog, table: TokenTable, factors: dict):
    from core.plan import sensitivity

    job.check()
    return sensitivity(catalog, snap.plan_inputs(table, token_factors=factors))


def _selfhost_job(job: Job, result: PlanResult, catalog: Catalog):
    from core.plan import selfhost_comparison

    job.check()
    return selfhost_comparison(result, catalog)


def _problem(problems: Any, field: str = "") -> Problem:
    """Messages (strings, or Problems from the engine) as the one Problem the window shows."""
    if isinstance(problems, Problem):
        return problems
    if isinstance(problems, str):
        return Problem("", None, field, problems)
    return Problem("", None, field, "; ".join(str(p) for p in problems))
