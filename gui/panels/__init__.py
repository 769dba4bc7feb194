"""The main window's panels: prompts, workload & budget, models, levers, headline cards, token view."""
