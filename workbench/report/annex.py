"""Layer 2 of a report, the technical annex — and, on its own, the model report.

For a reader who wants to check the work: the drawn model and its statements,
the engine and its settings, the run's own diagnostics, how often its intervals
held the truth, which inputs matter overall, the fairness view of a designated
column, and fingerprints of data, model and run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from backends.engines import engine_module
from backends.explain import global_importance
from backends.explain.record import has_ranges
from backends.graph.model import Graph, GraphError
from backends.graph.statements import model_statements
from backends.runtime import CancelToken
from workbench import __version__
from workbench.project import Project
from workbench.report import analysis, gates, provenance
from workbench.report.figures import interval_bars, model_figure
from workbench.report.settings import ReportSettings
from workbench.report.words import percent

ENGINE_NAMES = {
    "mcmc": "Bayesian model fitted by Markov chain Monte Carlo (emcee ensemble sampler)",
    "gp": "Gaussian process (GPyTorch)",
    "gan": "Generative adversarial network (PyTorch)",
}
PARAMETER_COLUMNS = ("mean", "sd", "hdi_3%", "hdi_97%", "ess_bulk", "r_hat")


def tech(value: Any) -> str:
    """A number for the technical tables: four significant digits."""
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "–"}[value]
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return f"{value:.4g}" if math.isfinite(value) else "not available"
    return str(value)


def graph_statements(graph: dict[str, Any]) -> list[str]:
    try:
        return model_statements(Graph.from_dict(graph))
    except GraphError as exc:
        return [f"(the model cannot be written out: {exc})"]


def build_annex(
    project: Project,
    data: analysis.RunData,
    settings: ReportSettings,
    level: float,
    cancel: CancelToken | None = None,
    explanation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    record, result = data.record, data.result
    summary = record.summary
    graph = provenance.run_graph(record)
    rows, attributions = analysis.explain_sample(data, level, cancel)
    typical = float(np.median(np.abs(attributions.values).sum(axis=1)))
    gates.check_additivity(
        attributions.additivity_error,
        [typical],
        float(np.median(np.abs(attributions.output))),
        "the sample of rows",
    )
    importance = global_importance(attributions)
    annex: dict[str, Any] = {
        "model": {
            **_model_as_drawn(graph),
            "target": result.target,
            "inputs": list(result.input_names),
        },
        "engine": {
            "name": ENGINE_NAMES.get(record.engine, record.engine),
            "settings": _settings_shown(record),
            "seed": record.seed,
            "device": record.device,
            "run_id": record.id,
            "started": record.started,
            "finished": record.finished,
            "message": record.message,
        },
        "diagnostics": _diagnostics(summary),
        "explanation": None if explanation is None else _explanation_facts(explanation),
        "explanation_basis": None if explanation is None else _explanation_basis(explanation),
        "importance": {
            "rows": len(rows),
            "method": attributions.method,
            # a model explained through one prediction per row has no ranges to give
            "ranges": any(i["lower"] != i["upper"] for i in importance),
            "table": [
                {
                    "feature": i["feature"],
                    "mean_abs": tech(i["mean_abs"]),
                    "lower": tech(i["lower"]),
                    "upper": tech(i["upper"]),
                }
                for i in importance
            ],
            "figure": interval_bars(
                [
                    {
                        "label": i["feature"],
                        "value": i["mean_abs"],
                        "lower": i["lower"],
                        "upper": i["upper"],
                    }
                    for i in importance
                ],
                signed=False,
                axis_label=f"average size of the effect on {result.target}",
            ),
        },
        "calibration": _calibration(data, level),
        "fairness": None
        if settings.protected is None
        else _fairness(project, data, settings, importance, explanation),
        "provenance": _provenance(project, data),
        "settings_notes": _settings_notes(settings, result),
    }
    return annex


def _model_as_drawn(graph: dict[str, Any] | None) -> dict[str, Any]:
    """The picture, statements and descriptions of the run's own model; for a run that
    did not keep it, the sentence that says so (the current model may not be it)."""
    if graph is None:
        return {"unknown": provenance.MODEL_UNKNOWN}
    return {
        "unknown": None,
        "figure": model_figure(graph),
        "statements": graph_statements(graph),
        "descriptions": [
            (n["name"], n["description"]) for n in graph.get("nodes", []) if n.get("description")
        ],
    }


def _diagnostics(summary: dict[str, Any]) -> dict[str, Any]:
    parameters = [
        {"name": name, **{c: tech(row.get(c)) for c in PARAMETER_COLUMNS}}
        for name, row in (summary.get("parameters") or {}).items()
    ]
    metrics = []
    for name, value in (summary.get("metrics") or {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            metrics.append((name, tech(value)))
    hyper = [
        (k, tech(v))
        for k, v in (summary.get("hyperparameters") or {}).items()
        if isinstance(v, int | float)
    ]
    return {
        "converged": summary.get("converged"),
        "warnings": [str(w) for w in summary.get("warnings", [])],
        "parameters": parameters,
        "parameter_columns": PARAMETER_COLUMNS,
        "metrics": metrics,
        "hyperparameters": hyper,
        "facts": [
            (k, tech(summary[k]))
            for k in (
                "sampler",
                "chains",
                "draws_per_chain",
                "divergences",
                "max_tree_depth_hits",
                "pareto_k",
                "ensembles",
                "walkers",
                "steps",
                "burn_in",
                "thin",
                "draws_per_ensemble",
                "acceptance",
                "rows",
                "dropped_rows",
            )
            if k in summary
        ],
    }


def _explanation_facts(e: dict[str, Any]) -> list[tuple[str, str]]:
    """The explanation's method and error figures; those about posterior draws only
    where there were draws (a single prediction has none to count)."""
    draws = bool(e["n_draws"])
    facts = [
        ("Method", e["method"]),
        ("Scale on which the factors add up", e["scale"]),
        ("Average prediction (base value)", tech(e["base_value"])),
        ("Explained value for this row", tech(e["explained_value"])),
        ("Additivity error (this row)", tech(e["additivity_error"])),
    ]
    if draws:
        facts.append(
            ("Largest additivity error over all draws", tech(e["additivity_error_all_draws"]))
        )
    facts.append(("Largest sampling error of a factor", tech(e["mc_error"])))
    if draws:
        facts += [
            ("Largest error from the finite number of draws", tech(e["draws_error"])),
            ("Posterior draws used", tech(e["n_draws"])),
        ]
    label = "Intervals settled (tolerance met)" if draws else "Tolerance met"
    return facts + [(label, tech(e["converged"]))] + [("Note", n) for n in e["notes"]]


def _settings_shown(record: Any) -> list[tuple[str, str]]:
    """The run's settings as the Run tab shows them: a 0 that means "auto" or "never"
    says so, rather than reading as walkers = 0."""
    zero = {s.name: s.zero for s in engine_module(record.engine).SETTINGS if s.zero}
    return [
        (k, zero[k] if k in zero and v == 0 else tech(v))
        for k, v in sorted(record.settings.items())
    ]


def _explanation_basis(e: dict[str, Any]) -> str:
    """How the factors got their ranges, for the sentence that introduces them."""
    ranges = "so that each share comes with a range"
    if e["n_draws"] > 0:
        return f"computed for every draw from the model's posterior, {ranges}"
    if has_ranges(e):
        return f"computed exactly from the model's Gaussian posterior, {ranges}"
    return "computed once, from a single prediction (the notes say why), so they have no range"


def _calibration(data: analysis.RunData, level: float) -> dict[str, Any] | None:
    calib = analysis.calibration_check(data, level)
    if calib is None:
        return None
    at_level = next(c for c in calib["coverage"] if abs(c["level"] - level) < 1e-9)
    sample = calib["n"] < calib["rows_total"]
    contained = (
        f"the {percent(level)} prediction intervals contained the actual value "
        f"{at_level['covered']} times ({percent(at_level['coverage'])})"
    )
    some = "a random sample of " if sample else ""
    if calib["held_out"]:
        sentence = (
            f"On {some}{calib['n']} rows of the data held out of the fit (the model did not "
            f"see them), {contained}: this is how often such a statement holds for new cases."
        )
    else:
        why = calib.get("held_out_note")
        held = (
            f"This run held out rows, but {why}."
            if why
            else "A run that holds out part of the rows checks them on new cases."
        )
        sentence = (
            f"On {some}{calib['n']} rows of the data the model was fitted to, {contained}. "
            "This is a check on the fitted data (a posterior predictive check), not on new "
            f"cases: on new cases the intervals can only do worse. {held}"
        )
    return {
        "sentence": sentence,
        "n": calib["n"],
        "table": [
            {
                "level": percent(c["level"]),
                "covered": c["covered"],
                "coverage": percent(c["coverage"]),
                "expected": f"{percent(c['level'])} ± {percent(2 * c['nominal_se'])}",
                "width": tech(c["mean_width"]),
            }
            for c in calib["coverage"]
        ],
        "ks_distance": tech(calib["pit"]["ks_distance"]),
        "ks_pvalue": tech(calib["pit"]["ks_pvalue"]),
    }


def _fairness(
    project: Project,
    data: analysis.RunData,
    settings: ReportSettings,
    importance: list[dict[str, Any]],
    explanation: dict[str, Any] | None,
) -> dict[str, Any]:
    column = settings.protected
    used = column in data.result.input_names
    rank = next((i + 1 for i, entry in enumerate(importance) if entry["feature"] == column), None)
    entry = next((e for e in importance if e["feature"] == column), None)
    rates = analysis.group_rates(project, data, column, settings)
    row_effect = None
    if explanation is not None and column in explanation["attributions"]:
        a = explanation["attributions"][column]
        row_effect = {
            "value": tech(a["value"]),
            "lower": tech(a["lower"]),
            "upper": tech(a["upper"]),
        }
    return {
        "column": column,
        "used": used,
        "rank": rank,
        "n_inputs": len(importance),
        "importance": None
        if entry is None
        else {k: tech(entry[k]) for k in ("mean_abs", "lower", "upper")},
        "row_effect": row_effect,
        "rows": rates["rows"],
        "groups": [_group_row(g) for g in rates["groups"]],
        "has_rule": settings.decision is not None,
        "positive_label": settings.decision.positive if settings.decision else "",
    }


def _group_row(group: dict[str, Any]) -> dict[str, Any]:
    out = {"group": group["group"], "n": group["n"]}
    for key in ("mean_prediction", "mean_observed"):
        if key in group:
            out[key] = tech(group[key])
    for key in ("positive_rate", "observed_positive_rate"):
        if key in group:
            out[key] = percent(group[key])
    return out


def _provenance(project: Project, data: analysis.RunData) -> dict[str, Any]:
    """Fingerprints of the run's model, data and arrays, with a sentence for each of
    them that is not known or no longer the project's."""
    known = provenance.facts(data.record, data.table.fingerprint)
    source = project.dataset.source
    table = [
        ("Data file", source.name),
        ("Data file SHA-256", source.sha256),
        ("Rows in the table", f"{project.dataset.n_rows:,}"),
    ]
    if known["table_changed"]:
        sha256, fitted_rows = provenance.split_fingerprint(known["table_fingerprint"])
        table = [
            ("Data the run was fitted on: file SHA-256", sha256),
            ("Rows in that table", f"{fitted_rows:,}"),
            ("Data file now in the project", source.name),
            ("Its SHA-256", source.sha256),
            ("Rows in it", f"{project.dataset.n_rows:,}"),
        ]
    model = known["model_fingerprint"]
    table += [
        ("Rows with every input of the model", f"{len(data.complete):,}"),
        (
            "Model fingerprint (SHA-256 of the model as canonical JSON)",
            "not known" if model is None else model,
        ),
        (
            "Run fingerprint (SHA-256 of the run record and its arrays)",
            provenance.run_hash(data.record),
        ),
        ("Run", data.record.id),
        ("Program", f"Workbench {__version__}"),
    ]
    return {"table": table, "notes": provenance.caveats(known)}


def _settings_notes(settings: ReportSettings, result: Any) -> list[str]:
    names = set(result.input_names)
    notes = [
        f"The column {a.feature!r} is listed as one a person can change, but the model "
        "does not use it, so no change to it was searched for."
        for a in settings.actionable
        if a.feature not in names
    ]
    if settings.protected and settings.protected in {a.feature for a in settings.actionable}:
        notes.append(
            f"The protected column {settings.protected!r} is never proposed as a "
            "change, though it is listed as changeable."
        )
    return notes
