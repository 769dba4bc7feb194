"""Headline cards across the top: spend now and at the horizon, budget verdict, lever saving, max traffic."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from core.plan import PlanResult
from core.prices import format_usd
from gui import theme


def money(amount: Decimal) -> str:
    """Whole dollars on cards (cents are noise at monthly scale), cents below $100."""
    return format_usd(amount, 0 if abs(amount) >= 100 else 2)


def month_label(day: date) -> str:
    return day.strftime("%b %Y")


class Card(QFrame):
    """A title line, one big value, one detail line."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)  # row-high
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(1)
        self.title = QLabel(title)
        self.value = QLabel("…")
        self.detail = QLabel("")
        self.detail.setWordWrap(True)  # narrow windows wrap the detail line instead of clipping it
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setBold(True)
        self.value.setFont(font)
        for label in (self.title, self.value, self.detail):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)
        self.restyle()

    def set(self, value: str, detail: str = "", *, title: str | None = None, tone: str = "") -> None:
        if title is not None:
            self.title.setText(title)
        self.value.setText(value)
        self.detail.setText(detail)
        self._tone = tone
        self.restyle()

    def restyle(self) -> None:
        c = theme.colors()
        tone = getattr(self, "_tone", "")
        value_color = {"bad": c.bad, "good": c.good}.get(tone, c.text)
        self.setStyleSheet(
            f"QFrame#card {{ background: {c.card_bg.name()}; border: 1px solid {c.card_border.name()};"
            f" border-radius: 6px; }}"
            f" QLabel {{ background: transparent; border: none; color: {c.muted.name()}; }}")
        self.value.setStyleSheet(f"color: {value_color.name()};")


class HeadlineCards(QWidget):
    """Every number here comes from the PlanResult the charts draw."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 2)
        layout.setSpacing(8)
        self.first = Card("This month")
        self.last = Card("Month 12")
        self.budget = Card("Budget")
        self.saving = Card("Levers save")
        self.capacity = Card("Max requests/day within budget")
        for card in (self.first, self.last, self.budget, self.saving, self.capacity):
            layout.addWidget(card)
        for card in (self.first, self.last, self.budget, self.saving, self.capacity):
            card.set("…", "computing…")

    def show_result(self, result: PlanResult, today: date | None = None) -> None:
        months = result.projection.months
        if not months:
            return
        today = (today or date.today()).replace(day=1)
        this = next((m for m in months if m.month == today), None)
        first = this or months[0]
        title = "This month" if this else f"First month · {month_label(first.month)}"
        self.first.set(money(first.cost), f"{first.requests:,.0f} requests",
                       title=title)
        last = months[-1]
        growth = result.scenario.workload.growth_pct_per_month
        self.last.set(money(last.cost), f"{month_label(last.month)} · growth {growth:g}%/month",
                      title=f"Month {len(months)}")
        self._budget(result)
        self._saving(result)
        self._capacity(result)

    def _budget(self, result: PlanResult) -> None:
        projection = result.projection
        cap = result.scenario.workload.budget_per_month
        if cap is None:
            self.budget.set("no cap", "set a monthly cap in Workload & budget", title="Budget")
            return
        breach = projection.first_breach
        if breach is not None:
            self.budget.set(f"breached in {month_label(breach.month)}",
                            f"{money(breach.cost)} vs cap {money(cap)}",
                            title=f"Budget {money(cap)}/month", tone="bad")
            return
        headroom = projection.min_headroom or Decimal(0)
        tight = min(projection.months, key=lambda m: m.headroom if m.headroom is not None else cap)
        self.budget.set("within budget", f"headroom ≥ {money(headroom)} ({month_label(tight.month)})",
                        title=f"Budget {money(cap)}/month", tone="good")

    def _saving(self, result: PlanResult) -> None:
        falls = result.waterfall
        if not falls.steps:
            self.saving.set("0%", "no API lever switched on", title="Levers save")
            return
        pct = falls.saving_pct
        tone = "good" if pct > 0 else "bad" if pct < 0 else ""
        self.saving.set(f"{pct:.0f}%", f"{money(falls.saving)} over {len(result.projection.months)} months",
                        title="Levers save", tone=tone)

    def _capacity(self, result: PlanResult) -> None:
        best = result.max_requests_per_day
        first = result.projection.months[0]
        current = first.requests / first.days  # every prompt's traffic, own requests/day included
        if result.scenario.workload.budget_per_month is None:
            self.capacity.set("—", "needs a monthly cap")
        elif best is None:
            self.capacity.set("none", "even 1 request/day exceeds the cap", tone="bad")
        else:
            tone = "good" if best >= current else "bad"
            self.capacity.set(f"{best:,}", f"now {current:,.0f}/day, all {len(result.projection.months)} months",
                              tone=tone)

    def restyle(self) -> None:
        for card in self.findChildren(Card):
            card.restyle()
