"""ScenarioController: owns the current Scenario, debounces edits, counts off the UI thread, publishes results."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from core.prices import Catalog
from core.plan import (
    PlanResult, PromptSpec, Scenario, TokenTable, calibration_factors, check_scenario, count_scenario,
    evaluate, to_decimal, tokenizers_for)

DEBOUNCE_MS = 120
CACHE_SIZE = 512  # (text digest, tokenizer) entries; typing creates one per debounced edit
BIG_JOB_CHARS = 200_000  # above this a count shows a progress bar
UNDO_DEPTH = 100


class _Stale(Exception):
    """A newer edit superseded this job; it stops between two counts."""


def default_count(text: str, tokenizer: str):
    from core.tokens import count_tokens  # imported on the worker: vocabularies load there

    # incremental: a large prompt is remembered as chunk counts, so counting its next edited
    # version recounts only the chunks that changed (~1 ms instead of ~0.4 s for 10 MB).
    return count_tokens(text, tokenizer, incremental=True)


class ScenarioController(QObject):
    """Panels report edits here; this publishes results. Panels never price anything themselves."""

    scenario_changed = Signal(object)   # every accepted edit: panels refresh their widgets
    scenario_replaced = Signal(object)  # New / Open / undo: panels rebuild lists too
    result_ready = Signal(object)       # PlanResult; sensitivity may still be () (see below)
    sensitivity_ready = Signal(object)  # the same PlanResult with its sensitivity bars
    counts_ready = Signal(object)       # {(prompt name, tokenizer): TokenCount}
    counting_changed = Signal(bool, str)  # busy?, message for the progress indicator
    count_progress = Signal(int, int)   # done, total (text × tokenizer counts of the current job)
    breakeven_ready = Signal(object)    # (SelfHostEstimate, BreakEven), an error text, or None (lever off)
    error_raised = Signal(str)

    def __init__(self, catalog: Catalog, scenario: Scenario | None = None, *,
                 counter: Callable[[str, str], Any] | None = None, debounce_ms: int = DEBOUNCE_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self.token_factors = calibration_factors()  # the user's billed-count calibrations
        self._scenario = scenario or Scenario()
        self._count = counter or default_count
        self._generation = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="token-count")
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
        # Finished jobs are collected by polling on this thread rather than by signals emitted on the
        # worker: no Qt object is touched off the UI thread, so a job that outlives its controller
        # (or PySide's cross-thread argument handling) can never crash the app.
        self._jobs: list[tuple[int, str, Future]] = []
        self._job_progress: tuple[int, int, int] | None = None  # (generation, done, total), worker-written
        self._poll = QTimer(self, interval=15)
        self._poll.timeout.connect(self._collect)

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
            self.error_raised.emit("; ".join(problems))
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
            self.error_raised.emit(f"workload: {exc}")
            return False
        return self._accept(self._scenario.with_(workload=replace(self._scenario.workload, **converted)))

    @staticmethod
    def _convert_workload(key: str, value: Any) -> Any:
        if key == "requests_per_day":
            return to_decimal(value, maximum=Decimal(10) ** 10)
        if key == "growth_pct_per_month":
            return to_decimal(value, minimum=Decimal("-99.99"), maximum=Decimal(1000))
        if key == "budget_per_month":
            return None if value is None else to_decimal(value, maximum=Decimal(10) ** 12)
        if key == "horizon_months":
            return int(value)
        return value

    def update_lever(self, name: str, **changes: Any) -> bool:
        lever = getattr(self._scenario.levers, name)
        try:
            converted = {}
            for key, value in changes.items():
                current = getattr(lever, key)
                if isinstance(value, float) or (isinstance(current, Decimal) and isinstance(value, int)
                                                and not isinstance(value, bool)):
                    value = to_decimal(value)
                converted[key] = value
        except ValueError as exc:
            self.error_raised.emit(f"{name}: {exc}")
            return False
        levers = replace(self._scenario.levers, **{name: replace(lever, **converted)})
        return self._accept(self._scenario.with_(levers=levers))

    def update_prompt(self, index: int, **changes: Any) -> bool:
        prompts = list(self._scenario.prompts)
        try:
            for key in ("share", "requests_per_day"):
                if changes.get(key) is not None:
                    changes[key] = to_decimal(changes[key], maximum=Decimal(10) ** 10)
        except ValueError as exc:
            self.error_raised.emit(f"{prompts[index].name}: {exc}")
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
        spec = PromptSpec(name=self.unique_name(name), text=text, output_tokens=output_tokens)
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
            self.error_raised.emit("; ".join(problems))
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
        self._generation += 1
        gen, snap = self._generation, self._scenario
        tokenizers = frozenset(tokenizers_for(snap, self._catalog))
        key = (tuple((p.name, p.text, p.fixed_tokens) for p in snap.prompts), tokenizers)
        if key == self._table_key and self._table is not None:
            self._set_busy(False, "")
            self._evaluate(gen, snap, self._table)  # pricing is fast: toggles feel instant
            return
        chars = sum(len(p.text) for p in snap.prompts)
        self._set_busy(True, f"counting {chars / 1e6:.1f} M characters…" if chars > BIG_JOB_CHARS
                       else "counting…")
        self._submit(gen, "counts", self._count_job, gen, snap, tokenizers, key)

    def _submit(self, gen: int, kind: str, job: Callable, *args: Any) -> None:
        self._jobs.append((gen, kind, self._pool.submit(job, *args)))
        self._poll.start()

    def _collect(self) -> None:
        """On the UI thread: hand finished jobs (in submission order) to _on_done."""
        progress = self._job_progress
        if progress is not None and progress[0] == self._generation:
            self.count_progress.emit(progress[1], progress[2])
        while self._jobs and self._jobs[0][2].done():
            gen, kind, future = self._jobs.pop(0)
            if future.cancelled():
                continue
            exc = future.exception()
            if not isinstance(exc, _Stale):
                self._on_done(gen, kind, exc if exc is not None else future.result())
        if not self._jobs:
            self._poll.stop()

    def _digest(self, text: str) -> bytes:
        h = hashlib.blake2b(digest_size=16)
        for i in range(0, len(text), 1 << 20):  # 1M characters at a time: no 10 MB copy of a big prompt
            h.update(text[i:i + (1 << 20)].encode("utf-8", "surrogatepass"))
        return h.digest()

    def _count_job(self, gen: int, snap: Scenario, tokenizers: frozenset[str], key: tuple):
        """Worker thread: count what the cache lacks; stop early when a newer edit arrives."""
        from core.tokens import LargeText  # on the worker: keeps the counting modules off start-up

        digests: dict[int, bytes] = {}
        texts = [p.text for p in snap.prompts if p.fixed_tokens is None and p.text]
        total, done = (len(texts) + 1) * len(tokenizers), 0

        def lookup(text: str, tokenizer: str):
            nonlocal done
            if gen != self._generation:
                raise _Stale
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
            self._job_progress = (gen, min(done, total), total)
            return hit

        table = count_scenario(snap, self._catalog, lambda text, tok: lookup(text, tok).tokens)
        counts = {(p.name, tok): lookup(p.text, tok) for p in snap.prompts
                  if p.fixed_tokens is None for tok in tokenizers}
        return table, counts, key, snap

    def _on_done(self, gen: int, kind: str, payload: Any) -> None:
        if gen != self._generation:
            return  # a newer edit is on its way; this result would show the past
        if isinstance(payload, BaseException):
            if kind == "selfhost":  # an impossible deployment is an answer for the chart, not an error
                self.breakeven_ready.emit(str(payload))
                return
            self._set_busy(False, "")
            self.error_raised.emit(f"{kind}: {payload}")
            return
        if kind == "counts":
            table, counts, key, snap = payload
            self._table, self._table_key, self._counts = table, key, counts
            self._set_busy(False, "")
            self.counts_ready.emit(counts)
            # The counted snapshot, not self._scenario: an edit made while counting (its recompute
            # still debouncing, so the generation has not moved) may have added a prompt.
            self._evaluate(gen, snap, table)
        elif kind == "sensitivity" and self._result is not None:
            self._result = replace(self._result, sensitivity=payload)
            self.sensitivity_ready.emit(self._result)
        elif kind == "selfhost":
            self.breakeven_ready.emit(payload)

    def _evaluate(self, gen: int, snap: Scenario, table: TokenTable) -> None:
        try:
            # Sensitivity re-projects the plan ~20 times (≈45 ms on the demo): it follows on the worker.
            result = evaluate(snap, self._catalog, table, with_sensitivity=False,
                              token_factors=self.token_factors)
        except Exception as exc:  # a bug in core must not take the window down; keep the last result
            self.error_raised.emit(f"could not compute the plan: {exc}")
            return
        if result.errors:
            self.error_raised.emit("; ".join(result.errors))
            return
        self._result = result
        self.result_ready.emit(result)
        self._submit(gen, "sensitivity", self._sensitivity_job, gen, snap, table)
        if snap.levers.selfhost.enabled:
            self._submit(gen, "selfhost", self._selfhost_job, gen, result)
        else:
            self.breakeven_ready.emit(None)

    def _selfhost_job(self, gen: int, result: PlanResult):
        if gen != self._generation:
            raise _Stale
        from core.plan import selfhost_comparison

        return selfhost_comparison(result, self._catalog)

    def _sensitivity_job(self, gen: int, snap: Scenario, table: TokenTable):
        if gen != self._generation:
            raise _Stale
        from core.plan import sensitivity

        return sensitivity(self._catalog, snap.plan_inputs(table, token_factors=self.token_factors))

    def _set_busy(self, busy: bool, message: str) -> None:
        if busy != self._busy or busy:
            self._busy = busy
            self.counting_changed.emit(busy, message)

    def shutdown(self) -> None:
        self._generation += 1  # running jobs stop at their next count
        self._debounce.stop()
        self._poll.stop()
        self._jobs.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
