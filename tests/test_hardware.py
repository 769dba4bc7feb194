"""Bundled accelerator and open-model data load cleanly, match published figures, and bad YAML is reported."""
from __future__ import annotations

from decimal import Decimal

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.profiles import examples

from core.selfhost.hardware import load_hardware, load_open_models, parse_hardware, parse_open_models
from core.base.problems import Problem

HARDWARE, HARDWARE_ERRORS = load_hardware()
MODELS, MODEL_ERRORS = load_open_models()

REQUIRED_GPUS = {"a100", "h100", "h200", "b200", "l4", "l40s", "rtx-4090", "mi300x"}
REQUIRED_MODELS = {"llama-3.1-8b", "llama-3.1-70b", "qwen2.5-7b", "mistral-7b", "mixtral-8x7b",
                   "deepseek-v3", "gpt-oss-20b", "gpt-oss-120b", "gemma-3-27b", "qwen3-30b-a3b",
                   "qwen3-235b-a22b", "llama-4-maverick"}


def test_bundled_files_load_without_errors():
    assert HARDWARE_ERRORS == []
    assert MODEL_ERRORS == []
    assert len(HARDWARE) >= 10 and REQUIRED_GPUS <= HARDWARE.keys()
    assert HARDWARE.keys() & {"tpu-v5e", "tpu-v6e", "mi325x"}
    assert len(MODELS) >= 12 and REQUIRED_MODELS <= MODELS.keys()


@pytest.mark.parametrize("gpu_id", sorted(HARDWARE))
def test_every_accelerator_has_a_dated_sourced_price_and_specs(gpu_id):
    gpu = HARDWARE[gpu_id]
    assert gpu_id == gpu_id.lower() and " " not in gpu_id
    assert isinstance(gpu.usd_per_hour, Decimal) and gpu.usd_per_hour > 0
    assert gpu.price_source and gpu.price_date and gpu.spec_source and gpu.checked
    assert gpu.memory_bytes > 0 and gpu.bandwidth_bytes_per_s > 0 and gpu.bf16_flops_per_s > 0
    # dense figures: FP8 doubles bf16 and FP4 doubles FP8 where they exist
    if gpu.fp8_flops_per_s:
        assert gpu.fp8_flops_per_s == pytest.approx(2 * gpu.bf16_flops_per_s, rel=0.03)
    if gpu.fp4_flops_per_s:
        assert gpu.fp4_flops_per_s == pytest.approx(2 * gpu.fp8_flops_per_s, rel=0.03)


@pytest.mark.parametrize("gpu_id, ridge", [("h100", 295), ("h200", 206), ("b200", 292),
                                           ("mi300x", 247), ("a100", 153)])
def test_ridge_points_match_the_reference_table(gpu_id, ridge):
    """bf16 FLOP per byte at the ridge, inference-physics §1.3 / §8.1."""
    gpu = HARDWARE[gpu_id]
    assert gpu.bf16_flops_per_s / gpu.bandwidth_bytes_per_s == pytest.approx(ridge, abs=1.5)


def test_fp8_falls_back_to_bf16_without_fp8_tensor_cores():
    assert HARDWARE["a100"].flops_per_s("fp8") == (312e12, "bf16")
    assert HARDWARE["h100"].flops_per_s("fp4") == (pytest.approx(989.4e12), "bf16")
    assert HARDWARE["b200"].flops_per_s("fp4") == (9000e12, "fp4")


@pytest.mark.parametrize("model_id", sorted(MODELS))
def test_parameters_recomputed_from_the_config_match_the_published_figure(model_id):
    """Appendix A arithmetic from the YAML shapes, within 2% of the vendor's headline numbers."""
    model = MODELS[model_id]
    assert model.total_params == pytest.approx(model.published_total_params, rel=0.02)
    active = (model.flop_params_per_token if model.published_active_excludes_input_embedding
              else model.active_params)
    assert active == pytest.approx(model.published_active_params, rel=0.02)


def test_known_derived_counts_from_the_reference():
    assert MODELS["llama-3.1-8b"].total_params == pytest.approx(8.03e9, rel=0.001)
    assert MODELS["llama-3.1-70b"].total_params == pytest.approx(70.55e9, rel=0.001)
    assert MODELS["mixtral-8x7b"].active_params == pytest.approx(12.88e9, rel=0.002)
    assert MODELS["qwen3-30b-a3b"].active_params == pytest.approx(3.34e9, rel=0.005)
    assert MODELS["qwen3-235b-a22b"].total_params == pytest.approx(235.1e9, rel=0.002)


# --- malformed input ---------------------------------------------------------------------------

GOOD_GPU = """\
  - id: good
    name: Good GPU
    vendor: nvidia
    memory_gb: 80
    bandwidth_tb_per_s: 3.35
    bf16_dense_tflops: 989.4
    fp8_dense_tflops: null
    spec_source: datasheet
    checked: 2026-11-26
    price: {usd_per_hour: "2.00", source: somewhere, date: 2026-05}
"""


def _hardware(*entries: str) -> str:
    return "schema_version: 1\naccelerators:\n" + "".join(entries)


def test_bad_entry_is_skipped_with_file_line_and_field_and_good_entries_load():
    bad = GOOD_GPU.replace("id: good", "id: bad").replace("bandwidth_tb_per_s: 3.35",
                                                          "bandwidth_tb_per_s: fast")
    loaded, errors = parse_hardware(_hardware(GOOD_GPU, bad), "hw.yaml")
    assert list(loaded) == ["good"]
    assert len(errors) == 1
    error = errors[0]
    assert (error.file, error.field) == ("hw.yaml", "bad.bandwidth_tb_per_s")
    assert error.line == 2 + GOOD_GPU.count("\n") + 5  # 2 header lines, the good entry, 5th line
    assert "hw.yaml:17" in str(error) and "bandwidth_tb_per_s" in str(error)


@pytest.mark.parametrize("change, field, reason", [
    (("usd_per_hour: \"2.00\"", "usd_per_hour: \"two\""), "good.price.usd_per_hour", "number"),
    (("usd_per_hour: \"2.00\"", "usd_per_hour: \"-1\""), "good.price.usd_per_hour", "negative"),
    (("usd_per_hour: \"2.00\"", "usd_per_hour: \"0\""), "good.price.usd_per_hour", "positive"),
    (("usd_per_hour: \"2.00\"", "usd_per_hour: \"20000\""), "good.price.usd_per_hour", "large"),
    (("date: 2026-05", "date: soon"), "good.price.date", "date"),
    (("    memory_gb: 80\n", ""), "good.memory_gb", "missing"),
    (("memory_gb: 80", "memory_gb: 0"), "good.memory_gb", "positive"),
    (("vendor: nvidia", "vendor: nvidia\n    bandwith_tb_per_s: 3"), "good.bandwith_tb_per_s",
     "unknown"),
    (("id: good", "id: Good-GPU"), "Good-GPU.id", "lowercase"),
    (("checked: 2026-11-26", "checked: yesterday"), "good.checked", "date"),
    (("price: {usd_per_hour: \"2.00\", source: somewhere, date: 2026-05}", "price: 2"),
     "good.price", "mapping"),
])
def test_each_kind_of_bad_field_is_named(change, field, reason):
    loaded, errors = parse_hardware(_hardware(GOOD_GPU.replace(*change), GOOD_GPU.replace(
        "id: good", "id: other")), "hw.yaml")
    assert list(loaded) == ["other"]
    assert [e.field for e in errors] == [field]
    assert reason in errors[0].message
    assert errors[0].line >= 3 and errors[0].file == "hw.yaml"


def test_duplicate_ids_keep_the_first():
    loaded, errors = parse_hardware(_hardware(GOOD_GPU, GOOD_GPU), "hw.yaml")
    assert list(loaded) == ["good"]
    assert errors[0].field == "good.id" and "duplicate" in errors[0].message
    assert errors[0].line == 3 + GOOD_GPU.count("\n")


@pytest.mark.parametrize("text, line", [
    ("accelerators: [\n  {id: x,\n", 3),             # unterminated flow sequence
    ("- just\n- a list\n", 1),                       # not a mapping
    ("schema_version: 2\naccelerators: []\n", 1),      # unsupported version
    ("schema_version: 1\naccelerators: 5\n", 2),       # not a list
    ("schema_version: 1\naccelerators:\n  - 5\n", 2),  # entry is not a mapping
])
def test_broken_files_return_errors_not_exceptions(text, line):
    loaded, errors = parse_hardware(text, "hw.yaml")
    assert loaded == {}
    assert len(errors) == 1 and errors[0].file == "hw.yaml" and errors[0].line == line


def test_unreadable_file_is_an_error_value(tmp_path):
    loaded, errors = load_hardware(tmp_path / "missing.yaml")
    assert loaded == {} and "cannot read" in errors[0].message
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x00\x01\xff")
    assert load_open_models(binary)[0] == {}
    path = tmp_path / "hw.yaml"
    path.write_text(_hardware(GOOD_GPU), encoding="utf-8")
    loaded, errors = load_hardware(path)
    assert list(loaded) == ["good"] and errors == []


GOOD_MODEL = """\
  - id: tiny
    name: Tiny
    layers: 4
    hidden_size: 256
    attention_heads: 4
    kv_heads: 2
    head_dim: 64
    ffn_intermediate: 1024
    vocab_size: 1000
    context_window: 4096
    attention: {kind: full}
    published: {total_params_b: 0.0036, active_params_b: 0.0036, source: test}
    source: test
    checked: 2026-11-26
"""


@pytest.mark.parametrize("change, field", [
    (("attention: {kind: full}", "attention: {kind: mla, kv_lora_rank: 512}"),
     "tiny.attention.qk_nope_head_dim"),
    (("attention: {kind: full}", "attention: {kind: hybrid, local_layers: 2}"),
     "tiny.attention.window"),
    (("attention: {kind: full}", "attention: {kind: local}"), "tiny.attention.kind"),
    (("attention: {kind: full}", "attention: {kind: full}\n    moe: {experts: 4, top_k: 8, "
      "expert_intermediate: 64}"), "tiny.moe.top_k"),
    (("layers: 4", "layers: four"), "tiny.layers"),
    (("    published: {total_params_b: 0.0036, active_params_b: 0.0036, source: test}\n", ""),
     "tiny.published"),
])
def test_bad_model_entries_are_skipped_and_named(change, field):
    text = "schema_version: 1\nmodels:\n" + GOOD_MODEL.replace(*change) + GOOD_MODEL.replace(
        "id: tiny", "id: fine")
    loaded, errors = parse_open_models(text, "models.yaml")
    assert list(loaded) == ["fine"]
    assert field in {e.field for e in errors}
    assert all(e.file == "models.yaml" and e.field.startswith("tiny.") and e.line >= 3
               for e in errors)


def test_model_attention_variants_parse():
    text = "schema_version: 1\nmodels:\n" + GOOD_MODEL.replace(
        "attention: {kind: full}", "attention: {kind: sliding, window: 128}")
    loaded, errors = parse_open_models(text)
    assert errors == []
    assert loaded["tiny"].attention.local_layers == 4 and loaded["tiny"].attention.window == 128


# --- fuzz: arbitrary YAML never raises ---------------------------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                     st.sampled_from(["2.95", "-1", "2026-05", "2026-11-26", "mla", "hybrid", "full",
                                      "1e308", ".inf", "h100"]))
_keys = st.sampled_from(sorted({
    "schema_version", "accelerators", "models", "id", "name", "vendor", "memory_gb",
    "bandwidth_tb_per_s", "bf16_dense_tflops", "fp8_dense_tflops", "price", "usd_per_hour",
    "date", "source", "checked", "spec_source", "layers", "hidden_size", "attention_heads",
    "kv_heads", "head_dim", "ffn_intermediate", "vocab_size", "context_window", "attention",
    "kind", "window", "local_layers", "kv_lora_rank", "moe", "experts", "top_k",
    "expert_intermediate", "published", "total_params_b", "active_params_b"})) | st.text(max_size=6)
_trees = st.recursive(_scalars, lambda children: st.lists(children, max_size=4)
                      | st.dictionaries(_keys, children, max_size=8), max_leaves=40)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=list(HealthCheck))
@given(tree=_trees, list_key=st.sampled_from(["accelerators", "models"]))
def test_loaders_never_raise_on_arbitrary_yaml(tree, list_key):
    text = yaml.safe_dump({"schema_version": 1, list_key: tree if isinstance(tree, list)
                           else [tree]})
    for parse in (parse_hardware, parse_open_models):
        loaded, errors = parse(text, "fuzz.yaml")
        assert isinstance(loaded, dict)
        assert all(isinstance(e, Problem) and e.file == "fuzz.yaml" and e.message for e in errors)
