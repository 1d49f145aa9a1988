"""What the report says in each situation: counterfactuals, fairness, fingerprints."""

from __future__ import annotations

import dataclasses
import json

import pytest

from workbench.project import Project
from workbench.report import (
    ReportError,
    build_content,
    explain_row_json,
    read_settings,
    render_html,
)
from workbench.report.provenance import model_hash, run_hash


def test_counterfactual_sections(project: Project) -> None:
    content = build_content(project, row=1, options=None)
    person = content["person"]
    record = content["explanation"]
    rule = record["decision_rule"]
    assert person["counterfactual_status"] in ("found", "none-found")
    for option in record["counterfactuals"]:
        assert set(option["changes"]) == {"mom_iq"}  # the only actionable input
        before = record["prediction"]["mean"] <= rule["threshold"]
        assert (option["prediction"] <= rule["threshold"]) != before
    project.settings.report = {"decision": {"threshold": 80, "direction": "below"}}
    assert build_content(project, row=1)["person"]["counterfactual_status"] == "no-actionable"
    project.settings.report = {}
    content = build_content(project, row=1, options=None)
    assert content["person"]["counterfactual_status"] == "no-rule"
    assert content["person"]["decision"] is None
    assert "not compared with a threshold" in render_html(content)


def test_the_explanation_says_why_it_offers_no_counterfactual(project: Project) -> None:
    decision = {"threshold": 80, "direction": "below"}
    project.settings.report = {"decision": decision}
    notes = explain_row_json(project, 1)["notes"]
    assert any("mark no input of the model as actionable" in n for n in notes)
    # mom_hs moves a prediction by a few points only: it cannot cross a far threshold
    decision["threshold"] = 10
    project.settings.report = {
        "decision": decision,
        "actionable": [{"feature": "mom_hs", "lower": 0, "upper": 1, "step": 1}],
    }
    record = explain_row_json(project, 1)
    assert record["counterfactuals"] == []
    assert any("No change to the actionable inputs (mom_hs)" in n for n in record["notes"])


def test_labels_and_unused_columns_are_named(project: Project) -> None:
    html = render_html(build_content(project, row=1))
    assert "mother's IQ score" in html.replace("&#39;", "'")
    project.dataset.frame["postcode"] = "AB1"
    project.dataset.types["postcode"] = "text"
    project.dataset._table_cache = None
    content = build_content(project, row=1)
    assert content["person"]["data_not_used"] == ["postcode"]


def test_fairness_section(project: Project) -> None:
    annex = build_content(project, kind="model")["annex"]
    fairness = annex["fairness"]
    assert fairness["column"] == "mom_hs" and fairness["used"]
    assert [g["group"] for g in fairness["groups"]] == ["0", "1"]
    assert sum(g["n"] for g in fairness["groups"]) == fairness["rows"] == 434
    project.settings.report = {}
    assert build_content(project, kind="model")["annex"]["fairness"] is None


def test_fingerprints(project: Project) -> None:
    graph = project.graph.to_dict()
    reordered = json.loads(json.dumps({k: graph[k] for k in reversed(list(graph))}))
    assert model_hash(graph) == model_hash(reordered)
    graph["nodes"][0]["name"] = "a_different_name"
    assert model_hash(graph) != model_hash(reordered)
    record = project.latest_run()
    before = run_hash(record)
    record.state.arrays["draws"] = record.state.arrays["draws"].copy()
    record.state.arrays["draws"][0, 0, 0] += 1.0
    assert run_hash(record) != before


def test_settings_are_checked() -> None:
    settings = read_settings(
        {
            "decision": {"threshold": 0.5, "label": "approved"},
            "actionable": ["income", {"feature": "age", "lower": 18}],
        },
        ["income", "age"],
    )
    assert settings.decision.positive == "approved"
    assert settings.decision.negative == "not approved"
    assert [a.feature for a in settings.actionable] == ["income", "age"]
    with pytest.raises(ReportError, match="'organisation' must be text"):
        read_settings({"organisation": 3}, [])
    with pytest.raises(ReportError, match=r"actionable\[0\]"):
        read_settings({"actionable": [{"lower": 1}]}, [])
    with pytest.raises(ReportError, match="'decision.threshold' must be a number"):
        read_settings({"decision": {"threshold": "high"}}, [])
    with pytest.raises(ReportError, match="'decision.threshold' must be a number, got nan"):
        read_settings({"decision": {"threshold": float("nan")}}, [])
    # a misspelt key would print "no organisation given": it is refused, with a hint
    with pytest.raises(ReportError, match="unknown report setting 'organization'; did you mean"):
        read_settings({"organization": "ACME"}, [])
    with pytest.raises(ReportError, match="unknown decision setting 'treshold'"):
        read_settings({"decision": {"threshold": 1, "treshold": 2}}, [])


def test_a_model_without_a_posterior_gets_no_ranges(project: Project) -> None:
    """A GAN critic's score is one number: the letter states it without 'between x and x'."""
    from workbench.report.analysis import project_settings
    from workbench.report.content import ReportOptions, person_layer

    content = build_content(project, row=1)
    record = content["explanation"]
    prediction = record["prediction"]
    prediction["lower"] = prediction["upper"] = prediction["mean"]
    for a in record["attributions"].values():
        a["lower"] = a["upper"] = a["value"]
    zero = next(iter(record["attributions"]))  # a constant pixel's is exactly 0
    record["attributions"][zero].update(value=0.0, lower=0.0, upper=0.0)
    content["person"] = person_layer(project, record, project_settings(project), ReportOptions())
    html = render_html(content)
    letter = html[html.index("1. The outcome") : html.index("3. The information")]
    assert content["person"]["point"]
    assert "between" not in letter.lower() and "probability" not in letter
    assert "lowered the predicted" in letter or "raised the predicted" in letter
    assert "did not change the predicted" in letter and "cannot tell" not in letter


def test_factors_without_ranges_get_none_when_the_prediction_has_one(project: Project) -> None:
    """A GP explained through its predictive mean: the prediction keeps its range, the
    factors are stated without 'between x and x'."""
    from workbench.report.analysis import project_settings
    from workbench.report.content import ReportOptions, person_layer

    content = build_content(project, row=1)
    record = content["explanation"]
    for a in record["attributions"].values():
        a["lower"] = a["upper"] = a["value"]
    content["person"] = person_layer(project, record, project_settings(project), ReportOptions())
    html = render_html(content)
    outcome = html[html.index("1. The outcome") : html.index("2. What mattered")]
    factors = html[html.index("2. What mattered") : html.index("3. The information")]
    assert not content["person"]["point"] and not content["person"]["ranges"]
    assert "between" in outcome
    assert "between" not in factors and "the line across it" not in factors


def test_a_categorical_input_is_shown_by_its_level_not_its_code(project: Project) -> None:
    from workbench.report.analysis import level_name, project_settings
    from workbench.report.content import ReportOptions, person_layer

    content = build_content(project, row=1)
    record = content["explanation"]
    assert record["input_levels"] == {}  # kidiq's inputs are numbers
    record["input_levels"] = {"mom_hs": "finished high school"}
    content["person"] = person_layer(project, record, project_settings(project), ReportOptions())
    html = render_html(content)
    letter = html[html.index("2. What mattered") : html.index("4. What would")]
    assert letter.count("finished high school") == 2  # its factor, and the data used
    assert level_name("3.0") == "3" and level_name("2.5") == "2.5" and level_name("B") == "B"
    assert level_name("007") == "007" and level_name("1e3") == "1e3"  # text stays as written


def test_the_annex_says_where_the_ranges_of_the_factors_come_from() -> None:
    from workbench.report.annex import _explanation_basis

    ranged = {"attributions": {"x": {"lower": 1.0, "upper": 2.0}}}
    point = {"attributions": {"x": {"lower": 1.5, "upper": 1.5}}}
    assert "every draw" in _explanation_basis(dict(ranged, n_draws=400))
    assert "Gaussian posterior" in _explanation_basis(dict(ranged, n_draws=0))  # a GP
    assert "no range" in _explanation_basis(dict(point, n_draws=0))  # a GAN's critic


def test_calibration_is_checked_on_the_held_out_rows_when_the_run_has_them(
    project: Project,
) -> None:
    from workbench.report import annex
    from workbench.report.analysis import run_data

    record = project.latest_run()
    data = run_data(project, record)
    fitted = annex._calibration(data, 0.9)
    assert "rows of the data the model was fitted to" in fitted["sentence"]
    assert "holds out part of the rows" in fitted["sentence"]

    fingerprint = project.dataset.column_table().fingerprint
    held = dataclasses.replace(
        record, holdout_rows=list(range(0, 60, 2)), holdout_table=fingerprint
    )
    held._result = record.result()
    checked = annex._calibration(run_data(project, held), 0.9)
    assert checked["n"] == 30  # every held-out row (kidiq has no missing values)
    assert checked["sentence"].startswith("On 30 rows of the data held out of the fit")

    # row numbers kept for another table (replaced since) are not trusted
    stale = dataclasses.replace(held, holdout_table="another table:434")
    stale._result = record.result()
    fallback = annex._calibration(run_data(project, stale), 0.9)
    assert "rows of the data the model was fitted to" in fallback["sentence"]
    assert (
        "This run held out rows, but the table has changed since the run" in (fallback["sentence"])
    )


def test_a_counterfactual_prediction_never_prints_as_the_threshold() -> None:
    from workbench.report.content import _beside_threshold

    rule = {"threshold": 80, "direction": "below"}
    assert _beside_threshold(80.4, rule, 0) == 1  # "80.4", not "80"
    assert _beside_threshold(80.04, rule, 0) == 2
    assert _beside_threshold(83.0, rule, 0) == 0 and _beside_threshold(80.4, None, 0) == 0


def test_the_annex_writes_auto_for_a_setting_left_to_the_engine(project: Project) -> None:
    from workbench.report.annex import _settings_shown

    record = project.latest_run()
    shown = dict(
        _settings_shown(dataclasses.replace(record, settings={**record.settings, "walkers": 0}))
    )
    assert shown["walkers"] == "auto" and shown["ensembles"] == f"{record.settings['ensembles']:,}"


def test_categorical_actionable_inputs_alone_mean_nothing_was_searched() -> None:
    from workbench.report.content import counterfactual_status
    from workbench.report.settings import read_settings

    settings = read_settings({"decision": {"threshold": 5}, "actionable": ["school"]}, ["school"])
    record = {"inputs": {"school": 1.0}, "input_levels": {"school": "B"}, "counterfactuals": []}
    assert counterfactual_status(record, settings) == "no-actionable"  # not "none found"


def test_the_annex_counts_draws_only_for_an_explanation_that_has_them() -> None:
    from workbench.report.annex import _explanation_facts

    record = {
        "method": "sampled-kernel",
        "scale": "response",
        "base_value": 0.1,
        "explained_value": 2.3,
        "additivity_error": 1e-11,
        "additivity_error_all_draws": 1e-11,
        "mc_error": 0.002,
        "draws_error": 0.0,
        "n_draws": 0,
        "converged": True,
        "notes": [],
    }
    single = dict(_explanation_facts(record))
    assert "Posterior draws used" not in single and "Tolerance met" in single
    assert not any("draws" in label for label in single)
    with_draws = dict(_explanation_facts({**record, "n_draws": 64}))
    assert with_draws["Posterior draws used"] == "64"
    assert "Intervals settled (tolerance met)" in with_draws


def test_a_node_in_the_model_picture_is_wide_enough_for_its_detail_line() -> None:
    from workbench.report.figures import MAX_NODE_WIDTH, _node_detail, _node_size

    columns = [f"x{j}" for j in range(10)]
    node = {"id": "a", "name": "X", "kind": "data", "columns": columns}
    detail = _node_detail(node)
    assert detail.startswith("x0, x1, x2") and detail.endswith("\u2026") and len(detail) <= 24
    width, _ = _node_size(node)
    assert 6.0 * len(detail) + 24 <= width <= MAX_NODE_WIDTH
    short = {"id": "b", "name": "y", "kind": "observed", "columns": ["y"]}
    assert _node_detail(short) == "y" and _node_size(short)[0] == 104.0
