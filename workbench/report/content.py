"""What a report says, as plain data: the person's part (layer 1) and the
technical annex (layer 2), built from a project, a run and (for a decision
report) one row.

The structure follows the ICO / Alan Turing Institute guidance "Explaining
decisions made with AI": rationale (prediction and main factors), data (what
was used about the person), responsibility (who decided, how to ask for human
review), impact (significance and consequences), safety and performance
(diagnostics, calibration) and fairness (the protected column) — the person's
part in plain words, the rest in the annex. Sentences live in the template;
this module supplies their numbers and facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backends.explain.record import has_ranges
from backends.runtime import CancelToken
from workbench import __version__
from workbench.project import Project
from workbench.project.records import now_iso
from workbench.report import analysis, annex, gates
from workbench.report.errors import ReportError
from workbench.report.figures import interval_bars
from workbench.report.settings import ReportSettings
from workbench.report.words import data_num, decimals_for, long_date, long_time, num, percent

KINDS = ("decision", "model")


@dataclass(frozen=True)
class ReportOptions:
    """Choices made per export (the organisation's texts live in the project)."""

    level: float = 0.9
    max_factors: int = 5  # factors described in words; the rest are summed up
    include_annex: bool = True  # decision reports: attach the technical annex
    created: str | None = None  # ISO time stamp (default: now)


def build_content(
    project: Project,
    *,
    kind: str = "decision",
    row: int | None = None,
    run_id: str | None = None,
    options: ReportOptions | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """The report as a dict the template renders; raises ReportError when no honest
    report can be made (no run, bad row, explanation that does not add up)."""
    options = options or ReportOptions()
    if kind not in KINDS:
        raise ReportError(f"a report is 'decision' (one row) or 'model', not {kind!r}")
    if not 0 < options.level < 1:
        raise ReportError(f"the level must be between 0 and 1 (e.g. 0.9), got {options.level}")
    if kind == "decision" and row is None:
        raise ReportError("a decision report needs a row (rows are numbered from 1)")
    settings = analysis.project_settings(project)
    record = analysis.finished_run(project, run_id)
    data = analysis.run_data(project, record)
    created = options.created or now_iso()
    content: dict[str, Any] = {
        "kind": kind,
        "title": _title(kind, settings, data.result),
        "organisation": settings.organisation,
        "contact": settings.contact,
        "date": long_date(created),
        "time": long_time(created),
        "created": created,
        "outcome_name": settings.outcome_name or data.result.target,
        "units": settings.units,
        "level": options.level,
        "level_text": percent(options.level),
        "purpose": settings.purpose,
        "doubts": gates.run_doubts(
            record.summary, _details(kind, options), decision=kind == "decision"
        ),
        "run_id": record.id,
    }
    if kind == "decision":
        explanation = analysis.explain_one_row(data, row, options.level, settings, cancel)
        gates.check_additivity(
            explanation["additivity_error"],
            [a["value"] for a in explanation["attributions"].values()],
            explanation["explained_value"],
            f"row {row}",
        )
        content["doubts"] += gates.explanation_doubts(explanation)
        content["person"] = person_layer(
            project, explanation, settings, options, binary=analysis.binary_target(data)
        )
        content["explanation"] = explanation
    if kind == "model" or options.include_annex:
        content["annex"] = annex.build_annex(
            project, data, settings, options.level, cancel, explanation=content.get("explanation")
        )
    content["program"] = {"name": "Workbench", "version": __version__}
    return content


def _details(kind: str, options: ReportOptions) -> str:
    if kind == "model":
        return "section 3 below"
    return "section A3 of the technical annex" if options.include_annex else "the model report"


def _title(kind: str, settings: ReportSettings, result: Any) -> str:
    if kind == "model":
        return f"Model report: how we predict {settings.outcome_name or result.target}"
    return "Explanation of a decision about you"


def person_layer(
    project: Project,
    e: dict[str, Any],
    settings: ReportSettings,
    options: ReportOptions,
    binary: bool = False,
) -> dict[str, Any]:
    """Layer 1: the numbers and facts of the letter to the person, from one record.

    For a 0/1 target the prediction is a probability, and its predictive interval
    ("between 0 and 1") says nothing, so the letter gives the probability alone,
    with two decimals. A model without a posterior (a GAN's critic) gives one number
    and no ranges ("point"): the letter then gives no "between" either. A GP
    explained through its predictive mean has a predictive range but none on its
    factors ("ranges" false): its factors read like a point model's.
    """
    p = e["prediction"]
    d = 2 if binary else decimals_for(p["upper"] - p["lower"], p["mean"])
    name = settings.outcome_name or e["target"]
    layer: dict[str, Any] = {
        "row": e["row"],
        "binary": binary,
        "point": p["lower"] == p["upper"],
        "ranges": has_ranges(e),
        "outcome_phrase": f"probability of {name}" if binary else f"predicted {name}",
        "prediction": {k: num(p[k], f"prediction.{k}", d) for k in ("mean", "lower", "upper")},
        "base": num(e["base_value"], "base_value", d),
        "explained": num(e["explained_value"], "explained_value", d),
        "explains_mean": abs(e["explained_value"] - p["mean"]) > 10**-d,
        "decision": _decision(e, settings, d),
    }
    factors = []
    for name, a in e["attributions"].items():
        fd = decimals_for(a["upper"] - a["lower"], a["value"])
        src = f"attributions.{name}"
        # one value and no range: a model without a posterior, a GP explained through
        # its mean, or an input the prediction does not depend on (exactly 0 in every draw)
        point = a["lower"] == a["upper"]
        if point and a["value"] == 0:
            factor = {"direction": "none", "size": num(0.0, f"{src}.value", fd)}
        elif a["lower"] > 0 or a["upper"] < 0:
            up = a["value"] > 0
            factor = {
                "direction": "raised" if up else "lowered",
                "size": num(a["value"], f"{src}.value", fd, absolute=True),
                # a lowering of 4.2 "between 3.1 and 5.3": the bounds of its size
                "from": num(
                    a["lower"] if up else a["upper"],
                    f"{src}.{'lower' if up else 'upper'}",
                    fd,
                    absolute=not up,
                ),
                "to": num(
                    a["upper"] if up else a["lower"],
                    f"{src}.{'upper' if up else 'lower'}",
                    fd,
                    absolute=not up,
                ),
            }
        else:
            factor = {
                "direction": "unclear",
                "size": num(a["value"], f"{src}.value", fd),
                "from": num(a["lower"], f"{src}.lower", fd),
                "to": num(a["upper"], f"{src}.upper", fd),
            }
        factor.update(
            point=point,
            feature=settings.label(name),
            column=name,
            value=_input_value(e, name, a["feature_value"], f"{src}.feature_value"),
        )
        factors.append(factor)
    layer["factors"] = factors[: options.max_factors]
    layer["other_factors"] = [f["feature"] for f in factors[options.max_factors :]]
    chart_rows = [
        {"label": settings.label(n), "value": a["value"], "lower": a["lower"], "upper": a["upper"]}
        for n, a in list(e["attributions"].items())[: options.max_factors]
    ]
    layer["factor_figure"] = interval_bars(
        chart_rows,
        signed=True,
        ticks=False,
        axis_label="\u2190 lowered the prediction   |   raised it \u2192",
    )
    layer["data_used"] = [
        {"feature": settings.label(k), "value": _input_value(e, k, v, f"inputs.{k}")}
        for k, v in e["inputs"].items()
    ]
    used = set(e["inputs"]) | {e["target"]}
    layer["data_not_used"] = [settings.label(c) for c in project.dataset.columns if c not in used]
    layer["counterfactuals"] = _counterfactuals(e, d, settings)
    layer["counterfactual_status"] = counterfactual_status(e, settings)
    layer["review"] = settings.review
    layer["significance"] = settings.significance
    layer["consequences"] = settings.consequences
    return layer


def _decision(e: dict[str, Any], settings: ReportSettings, d: int) -> dict[str, Any] | None:
    if settings.decision is None:
        return None
    rule = settings.decision.rule
    positive = bool(rule.positive(e["prediction"]["mean"]))
    return {
        "outcome": settings.decision.positive if positive else settings.decision.negative,
        "positive": positive,
        "threshold": data_num(rule.threshold, "decision_rule.threshold"),
        "comparison": "at least" if rule.direction == "above" else "at most",
        "positive_label": settings.decision.positive,
    }


def _counterfactuals(e: dict[str, Any], d: int, settings: ReportSettings) -> list[dict[str, Any]]:
    out = []
    for i, c in enumerate(e["counterfactuals"]):
        src = f"counterfactuals.{i}"
        changes = [
            {
                "feature": settings.label(f),
                "from": data_num(ch["from"], f"{src}.changes.{f}.from"),
                "to": data_num(ch["to"], f"{src}.changes.{f}.to"),
            }
            for f, ch in c["changes"].items()
        ]
        out.append(
            {
                "changes": changes,
                "prediction": num(
                    c["prediction"],
                    f"{src}.prediction",
                    _beside_threshold(c["prediction"], e["decision_rule"], d),
                ),
                "probability": None
                if c["probability"] is None
                else {
                    "text": percent(c["probability"]),
                    "src": f"{src}.probability",
                    "absolute": False,
                    "percent": True,
                },
            }
        )
    return out


def _beside_threshold(value: float, rule: dict[str, Any] | None, decimals: int) -> int:
    """Decimals enough that a value just across the threshold does not print as the
    threshold itself ("would have been 80" under "at most 80" reads as no change)."""
    if rule is None:
        return decimals
    threshold = float(rule["threshold"])
    while decimals < 6 and round(value, decimals) == round(threshold, decimals):
        decimals += 1
    return decimals


def _input_value(e: dict[str, Any], name: str, value: float, src: str) -> dict[str, Any]:
    """An input as the person knows it: a category by its level, not its code."""
    level = (e.get("input_levels") or {}).get(name)
    if level is None:
        return data_num(value, src)
    return {"text": level, "src": f"input_levels.{name}", "absolute": False}


def counterfactual_status(e: dict[str, Any], settings: ReportSettings) -> str:
    """Why there is (or is not) a list of changes: 'found', 'none-found', 'no-rule',
    'no-actionable'."""
    if settings.decision is None:
        return "no-rule"
    if not settings.changeable(e["inputs"], e.get("input_levels") or {}):
        return "no-actionable"
    return "found" if e["counterfactuals"] else "none-found"
