"""Headline cards across the top: spend now and at the horizon, budget verdict, lever saving, max traffic."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from core.plan import PlanResult, headline_cards
from gui import theme


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
        # The cards only lay out what core.plan.report says; the CLI and the HTML report use the same.
        cards = {card.key: card for card in headline_cards(result, today)}
        for key, widget in (("first", self.first), ("last", self.last), ("budget", self.budget),
                            ("saving", self.saving), ("capacity", self.capacity)):
            card = cards.get(key)
            if card is not None:
                widget.set(card.value, card.detail, title=card.title, tone=card.tone)

    def restyle(self) -> None:
        for card in self.findChildren(Card):
            card.restyle()
