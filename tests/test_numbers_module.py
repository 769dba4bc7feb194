"""One rule per scenario field: the YAML loader, the app's edits and the whole-plan check accept the same values."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from core.base import MAX_HORIZON_MONTHS, MAX_REQUESTS_PER_DAY, FieldError, Problem, is_model_id, to_decimal
from core.plan import Scenario, check_scenario, parse_scenario, read_field
from core.plan.validation import LEVER_FIELDS, WORKLOAD_FIELDS

VALUES = st.one_of(
    st.integers(-10**14, 10**14), st.decimals(allow_nan=True, allow_infinity=True, places=4),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["12", "-5", "1e3", "abc", "", "2027-03",
                                                                      "9999-12", "1,000", "0.5", True, None]))


def _load_with(section: str, key: str, value) -> tuple[Scenario | None, list[Problem]]:
    data = {"schema_version": 1, "primary_model": "gpt-5", section: {key: value}}
    if section == "levers":
        lever, _, name = key.partition(".")
        data["levers"] = {lever: {name: value}}
    text = yaml.safe_dump(data, allow_unicode=True)
    return parse_scenario(text, "t.yaml")


def _yaml_safe(value):
    """A value as it would come from a YAML file: Decimals are written as strings there."""
    if isinstance(value, Decimal):
        return str(value)
    return value


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(WORKLOAD_FIELDS)), VALUES)
def test_a_typed_workload_value_is_refused_exactly_when_the_file_would_refuse_it(name, value):
    value = _yaml_safe(value)
    scenario, problems = _load_with("workload", name, value)
    try:
        read_field(f"workload.{name}", value)
        typed_ok = True
    except FieldError:
        typed_ok = False
    loaded_ok = not any(p.field == f"workload.{name}" for p in problems)
    assert typed_ok == loaded_ok, (value, problems)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([f"{lever}.{f}" for lever, (_c, fields) in LEVER_FIELDS.items() for f in fields]), VALUES)
def test_a_typed_lever_value_is_refused_exactly_when_the_file_would_refuse_it(path, value):
    value = _yaml_safe(value)
    _scenario, problems = _load_with("levers", path, value)
    try:
        read_field(f"levers.{path}", value)
        typed_ok = True
    except FieldError:
        typed_ok = False
    assert typed_ok == (not any(p.field == f"levers.{path}" for p in problems)), (value, problems)


def test_the_named_limits_are_the_ones_every_path_applies():
    assert read_field("workload.requests_per_day", MAX_REQUESTS_PER_DAY) == MAX_REQUESTS_PER_DAY
    with pytest.raises(FieldError, match="implausibly large"):
        read_field("workload.requests_per_day", MAX_REQUESTS_PER_DAY + 1)
    assert read_field("workload.horizon_months", MAX_HORIZON_MONTHS) == MAX_HORIZON_MONTHS
    with pytest.raises(FieldError):
        read_field("workload.horizon_months", MAX_HORIZON_MONTHS + 1)
    with pytest.raises(FieldError, match="above -100"):
        read_field("workload.growth_pct_per_month", -100)
    assert read_field("levers.caching.hit_rate", 0.62) == Decimal("0.62")  # a widget's float, exactly


def test_a_month_far_outside_the_calendar_is_a_field_error_not_a_crash():
    scenario, problems = _load_with("workload", "start_month", "9999-12")
    assert scenario is None
    assert [(p.field, p.line) for p in problems] == [("workload.start_month", 4)]
    assert "between 2000-01 and 2100-12" in problems[0].message


def test_check_scenario_names_each_bad_field():
    s = Scenario(primary_model="gpt-5")
    bad = s.with_(workload=replace(s.workload, requests_per_day=Decimal(-1)),
                  levers=replace(s.levers, batch=replace(s.levers.batch, share=Decimal(2))))
    fields = {p.field for p in check_scenario(bad)}
    assert fields == {"workload.requests_per_day", "levers.batch.share"}
    assert check_scenario(s) == []


def test_model_ids_and_decimals():
    assert is_model_id("claude-sonnet-4-6") and not is_model_id("Claude Sonnet") and not is_model_id("")
    assert to_decimal("0.1") == Decimal("0.1") and to_decimal(0.1) == Decimal("0.1")
    with pytest.raises(FieldError, match="must not be negative"):
        to_decimal("-1")
    assert to_decimal("-1", minimum=None) == Decimal(-1)


def test_the_self_host_engine_reports_a_problem_naming_the_deployment_field():
    from core.selfhost import Deployment, SelfHostError, estimate, load_hardware, load_open_models

    models, hardware = load_open_models()[0], load_hardware()[0]
    good = Deployment(model_id="llama-3.1-8b", accelerator_id="h100", weight_quant="bf16", kv_dtype="bf16")
    assert estimate(good, models, hardware).decode_tokens_per_s > 0
    for change, field in (({"model_id": "nope"}, "model_id"), ({"weight_quant": "fp7"}, "weight_quant"),
                          ({"batch": 0}, "batch"), ({"mfu": 1.5}, "mfu")):
        with pytest.raises(SelfHostError) as caught:
            estimate(replace(good, **change), models, hardware)
        problem = caught.value.problem
        assert isinstance(problem, Problem) and problem.field == field and problem.message == str(caught.value)
