"""Builds resources/demo_scenario.yaml from the support assistant's system prompt and user messages.

Run once when the demo's texts change; the app only reads the generated YAML.
"""
from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.plan import (
    BatchLever, CachingLever, DistillationLever, Levers, OutputTrimLever, RoutingLever, SelfHostLever)
from core.plan import Scenario, save_scenario  # noqa: E402
from core.plan import PromptSpec, Workload  # noqa: E402

SYSTEM = (ROOT / "tools" / "demo_system_prompt.md").read_text(encoding="utf-8")

ACCOUNT = """
<account>
plan: Personal Plus (monthly) · seats: 1 · storage used: 1.42 TB of 2 TB · billing country: DE
account age: 3 years 2 months · open tickets: none · card: •••• 4417
</account>
<status>
No active incidents.
</status>
"""

FAQ = ACCOUNT + """
Customer: hi, how do I get back a folder I deleted by mistake yesterday? it had all my tax stuff in it
"""

BILLING = ACCOUNT + """
Customer: I cancelled my subscription on the 2nd of this month (I have the confirmation email, reference
NW-CAN-558120) but I was charged €9.99 again today. I also think I was charged twice in October, there are
two identical lines on my bank statement from the 14th. Please refund both and confirm the cancellation
actually went through, I don't want to be charged again in December.
"""

THREAD = ACCOUNT.replace("Personal Plus (monthly) · seats: 1", "Team (annual) · seats: 14") + """
Customer (forwarding an internal thread):

---------- Forwarded message ---------
From: Jonas Berger (IT) · Date: Mon, 16 Nov 2026 09:12
Subject: Re: Re: Northwind sync stuck on the design share

Hi all, summarising where we are. Since last Thursday the "Design-2026" shared folder stops syncing on
about half of the Macs in the studio. The menu-bar icon shows "Syncing 1 of 23,406 files" forever. Windows
laptops are fine. Affected machines are all on macOS 15.1 with the Northwind app 8.4.2; the two Macs still
on 8.3.9 sync normally. We tried: pausing and resuming, quitting the app, restarting, and on Leonie's Mac a
full sign-out and sign-in, which helped for about two hours before it got stuck again.

The logs mention "path too long" for files inside Design-2026/Clients/Hoffmann & Partner/Rebrand 2026/
Final deliverables/Print/Brochure A4 (approved by client, do not edit)/Links/ but macOS does not have a
260-character limit as far as I know, so I'm not sure that's it. There are also lots of lines saying
"rate limited, retrying in 300 s" between 10:00 and 12:00 every day, which is when the whole studio uploads
renders.

From: Leonie Voss · Date: Mon, 16 Nov 2026 10:03
It got stuck again at 10:40 today. I need the Hoffmann print files by Wednesday for the printer. Can we
just copy them via USB for now? Also: I saw 3 "conflicted copy" files of the InDesign document, which one
is the real one?

From: Marta Ruiz (studio lead) · Date: Mon, 16 Nov 2026 11:30
Please open a ticket with Northwind today. We pay for Team with 14 seats, and if this continues I want to
know whether Business would fix it (priority support) or whether we should look at other options. Also ask
about the audit log: somebody deleted the "Archive 2024" folder last week and nobody admits to it. Can we
see who did it and get it back?

Thanks,
Jonas
"""

scenario = Scenario(
    name="Support assistant (demo)",
    notes=("Northwind Cloud's support chatbot: a ~4.6k-token shared system prompt, then one of three "
           "user-message shapes. Edit anything; this file is a copy."),
    prompts=(
        PromptSpec("FAQ question", SYSTEM + FAQ, share=Decimal("0.55"), output_tokens=220),
        PromptSpec("Billing dispute", SYSTEM + BILLING, share=Decimal("0.25"), output_tokens=380),
        PromptSpec("Long ticket thread", SYSTEM + THREAD, share=Decimal("0.20"), output_tokens=650),
    ),
    primary_model="gemini-3.1-pro-preview",
    comparison_models=("gpt-5.4", "claude-sonnet-5"),
    levers=Levers(
        caching=CachingLever(enabled=True, hit_rate=Decimal("0.85"), ttl="5m"),
        batch=BatchLever(enabled=True, share=Decimal("0.15")),
        routing=RoutingLever(enabled=True, model_id="gemini-3.1-flash-lite", share=Decimal("0.4"),
                             cascade=True, escalation_rate=Decimal("0.1")),
        distillation=DistillationLever(enabled=False, student_model_id="gpt-4o-mini", share=Decimal("0.3"),
                                       training_tokens=20_000_000),
        output_trim=OutputTrimLever(enabled=False, cap_tokens=600, reduce_pct=Decimal(15)),
        selfhost=SelfHostLever(enabled=True, open_model="llama-3.1-70b", accelerator="h100",
                               weight_quant="fp8", kv_dtype="fp8", utilization=Decimal("0.6"),
                               peak_concurrency=32),
    ),
    workload=Workload(requests_per_day=Decimal(6000), growth_pct_per_month=Decimal(8), horizon_months=12,
                      start_month=date(2026, 12, 1), budget_per_month=Decimal(1500)),
)

if __name__ == "__main__":
    save_scenario(scenario, ROOT / "resources" / "demo_scenario.yaml")
    print("wrote resources/demo_scenario.yaml")
