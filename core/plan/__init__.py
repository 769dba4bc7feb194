"""The plan: a scenario and its workload and levers, the monthly projection, its analysis and evaluation."""
from core.base.lazyapi import public_api

__getattr__, __dir__, __all__ = public_api(__name__, {
    "analysis": ("sensitivity",),
    "evaluation": ("PlanResult", "calibration_factors", "count_scenario", "evaluate", "tokenizers_for",),
    "levers": ("BatchLever", "CachingLever", "DistillationLever", "LEVER_TITLES", "Levers", "OutputTrimLever", "RoutingLever", "SelfHostLever",),
    "projection": ("TOKEN_TYPES",),
    "html_report": ("report_html",),
    "report": ("Card", "Table", "budget_verdict", "comparison_table", "headline_cards", "lever_lines",
               "model_columns", "monthly_csv", "monthly_table", "sensitivity_table", "totals_line",
               "waterfall_table"),
    "scenario": ("MAX_PROMPT_CHARS", "MAX_SCENARIO_BYTES", "NOTES_MAX_CHARS", "Scenario", "demo_scenario_path", "load_demo", "load_scenario", "parse_scenario",),
    "scenario_write": ("dump_scenario_parts", "save_scenario",),
    "selfhost_compare": ("selfhost_comparison", "summary", "tables",),
    "validation": ("check_scenario", "read_field"),
    "workload": ("PromptSpec", "TokenTable", "Workload", "add_months",),
})
