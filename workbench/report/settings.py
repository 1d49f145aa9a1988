"""The organisation's report settings (``project.settings.report``), read and checked.

The analyst fills these in once per project; every report printed from it uses
them. All keys are optional; a report without an organisation or contact says
plainly that they were not given, rather than inventing them. See docs/report.md
for each key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

from backends.explain import Actionable, DecisionRule
from workbench.report.errors import ReportError

TEXT_KEYS = (
    "organisation",
    "contact",
    "review",
    "purpose",
    "significance",
    "consequences",
    "outcome_name",
    "units",
)

KNOWN_KEYS = (*TEXT_KEYS, "decision", "actionable", "protected", "labels")
DECISION_KEYS = ("threshold", "direction", "label", "positive", "negative")


@dataclass(frozen=True)
class Decision:
    """A threshold on the prediction that turns it into a decision with names."""

    rule: DecisionRule
    positive: str  # what the person is told when the rule holds, e.g. "eligible"
    negative: str


@dataclass(frozen=True)
class ReportSettings:
    organisation: str = ""
    contact: str = ""
    review: str = ""  # how to ask for a human review (a default sentence is used if empty)
    purpose: str = ""  # what the model is used for
    significance: str = ""
    consequences: str = ""
    outcome_name: str = ""  # the target in plain words ("the predicted test score")
    units: str = ""
    decision: Decision | None = None
    actionable: tuple[Actionable, ...] = ()
    protected: str | None = None  # a column designated for the fairness section
    labels: dict[str, str] = field(default_factory=dict)  # column -> plain words

    def changeable(
        self, inputs: Iterable[str], categorical: Iterable[str] = ()
    ) -> list[Actionable]:
        """The actionable inputs a counterfactual search may change: inputs of the model,
        not the protected column, and numbers (a category's code is not an amount)."""
        inputs, categorical = set(inputs), set(categorical)
        return [
            a
            for a in self.actionable
            if a.feature in inputs and a.feature != self.protected and a.feature not in categorical
        ]

    def label(self, column: str) -> str:
        """The column in the person's words (``labels``), else its name."""
        return self.labels.get(column) or column


def read_settings(raw: dict[str, Any] | None, columns: list[str]) -> ReportSettings:
    """Check ``project.settings.report``; raise ReportError naming the bad key."""
    raw = dict(raw or {})
    texts = {}
    for key in TEXT_KEYS:
        value = raw.pop(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ReportError(f"report setting {key!r} must be text, got {type(value).__name__}")
        texts[key] = value.strip()
    decision = _decision(raw.pop("decision", None))
    listed = raw.pop("actionable", None) or []
    if not isinstance(listed, list):
        raise ReportError(
            "report setting 'actionable' is a list of columns (or of "
            '{"feature", "lower", "upper", "step"} objects)'
        )
    actionable = tuple(_actionable(item, i) for i, item in enumerate(listed))
    protected = raw.pop("protected", None) or None
    if protected is not None and protected not in columns:
        raise ReportError(f"report setting 'protected': the table has no column {protected!r}")
    for spec in actionable:
        if spec.feature not in columns:
            raise ReportError(
                f"report setting 'actionable': the table has no column {spec.feature!r}"
            )
    labels = raw.pop("labels", None) or {}
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        raise ReportError(
            'report setting \'labels\' maps column names to words, e.g. {"mom_iq": "your IQ score"}'
        )
    _refuse_unknown(raw, "report setting", KNOWN_KEYS)
    return ReportSettings(
        **texts,
        decision=decision,
        actionable=actionable,
        protected=protected,
        labels=dict(labels),
    )


def _refuse_unknown(left: dict[str, Any], what: str, known: tuple[str, ...]) -> None:
    """A misspelt key ("organization") would silently print "not given": refuse it."""
    for key in left:
        near = get_close_matches(str(key), known, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else f"; the keys are {', '.join(known)}"
        raise ReportError(f"unknown {what} {key!r}{hint}")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ReportError(f"report setting {where} must be a number, got {value!r}")
    return float(value)


def _decision(raw: Any) -> Decision | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or "threshold" not in raw:
        raise ReportError("report setting 'decision' needs at least a 'threshold'")
    _refuse_unknown(
        {k: v for k, v in raw.items() if k not in DECISION_KEYS}, "decision setting", DECISION_KEYS
    )
    direction = raw.get("direction", "above")
    if direction not in ("above", "below"):
        raise ReportError(
            f"report setting 'decision.direction' must be 'above' or 'below', got {direction!r}"
        )
    label = str(raw.get("label") or "").strip()
    positive = str(raw.get("positive") or label or "the positive outcome").strip()
    negative = str(raw.get("negative") or (f"not {label}" if label else "the negative outcome"))
    rule = DecisionRule(_number(raw["threshold"], "'decision.threshold'"), direction)
    return Decision(rule, positive, negative.strip())


def _actionable(raw: Any, index: int) -> Actionable:
    where = f"'actionable[{index}]'"
    if isinstance(raw, str):
        return Actionable(raw)
    if not isinstance(raw, dict) or not isinstance(raw.get("feature"), str):
        raise ReportError(f"report setting {where} needs a 'feature' (a column name)")
    bounds = {
        k: (None if raw.get(k) is None else _number(raw[k], f"{where}.{k}"))
        for k in ("lower", "upper", "step")
    }
    if bounds["step"] is not None and bounds["step"] <= 0:
        raise ReportError(f"report setting {where}.step must be positive")
    if None not in (bounds["lower"], bounds["upper"]) and bounds["lower"] > bounds["upper"]:
        raise ReportError(f"report setting {where}: lower is above upper")
    return Actionable(raw["feature"], **bounds)
