"""The plan: scenario, workload, levers, monthly projection, analysis and evaluation of a scenario."""
