"""Training against truth: a Gaussian mixture's modes and a table's category shares."""

from __future__ import annotations

import numpy as np
import pytest
from gan_helpers import FAST, generator_graph, mixed_table, mixture_table

from backends.gan import engine
from backends.runtime import CancelToken, EngineError, Progress, RunCancelled


@pytest.fixture(scope="module")
def mixture_fit():
    table, centres = mixture_table()
    graph = generator_graph(table)
    records: list[Progress] = []
    trained = engine.run(
        graph, table, {**FAST, "steps": 500}, device="cpu", seed=3, progress=records.append
    )
    untrained = engine.run(
        graph, table, {**FAST, "steps": 1, "quality_every": 1}, device="cpu", seed=3
    )
    return trained, untrained, centres, records


def test_mixture_samples_cover_every_mode(mixture_fit):
    trained, _, centres, _ = mixture_fit
    rows = trained.sample(2000, seed=0)
    points = np.column_stack([rows["x"], rows["y"]])
    distance = np.linalg.norm(points[:, None, :] - centres[None], axis=2)
    nearest = distance.argmin(axis=1)
    shares = np.bincount(nearest, minlength=4) / len(points)
    assert shares.min() > 0.10, shares  # each true share is 0.25
    assert np.mean(distance.min(axis=1) < 1.2) > 0.8  # most samples sit on a mode


def test_two_sample_auc_falls_well_below_untrained(mixture_fit):
    trained, untrained, _, _ = mixture_fit
    auc_trained = trained.summary()["metrics"]["c2st_auc"]
    auc_untrained = untrained.summary()["metrics"]["c2st_auc"]
    assert auc_untrained > 0.95
    assert auc_trained < auc_untrained - 0.2
    assert auc_trained < 0.8


def test_progress_reports_losses_and_quality(mixture_fit):
    trained, _, _, records = mixture_fit
    checks = [r for r in records if "c2st_auc" in r.values]
    assert [r.step for r in checks] == [100, 200, 300, 400, 500]
    assert all(np.isfinite(r.values["generator_loss"]) for r in records if r.values)
    best = min(checks, key=lambda r: r.values["c2st_auc"])
    assert trained.summary()["best_step"] == best.step  # kept by quality, not by loss


def test_critic_finds_rows_between_modes_less_typical(mixture_fit):
    result, _, centres, _ = mixture_fit
    assert result.input_names == ["x", "y"] and result.target == "typicality"
    on_modes = centres + 0.1
    between = np.array([[0.0, 0.0], [0.0, 3.0], [3.0, 0.0], [-3.0, 0.0]])
    typical, atypical = result.predict(on_modes)[0], result.predict(between)[0]
    assert typical.min() > atypical.max(), (typical, atypical)
    share = result.typicality(on_modes)
    assert np.all((share >= 0) & (share <= 1)) and share.min() > 0.2


def test_categorical_columns_take_only_valid_levels_in_the_right_shares():
    table = mixed_table()
    result = engine.run(generator_graph(table), table, {**FAST, "steps": 400}, device="cpu", seed=1)
    rows = result.sample(4000, seed=2)
    assert set(rows["colour"]) <= {"red", "green", "blue"}
    shares = {c: np.mean(rows["colour"] == c) for c in ("red", "green", "blue")}
    assert abs(shares["red"] - 0.6) < 0.08 and abs(shares["green"] - 0.3) < 0.08
    assert abs(shares["blue"] - 0.1) < 0.06
    assert set(np.unique(rows["flag"])) <= {0.0, 1.0}
    assert abs(rows["flag"].mean() - 0.25) < 0.08
    assert np.all(rows["count"] == np.round(rows["count"])) and rows["count"].min() >= 0
    assert abs(rows["count"].mean() - 3.0) < 0.5
    assert abs(rows["size"].mean() - 10.0) < 0.6


def test_same_seed_same_run():
    table, _ = mixture_table(n=600)
    graph = generator_graph(table)
    a = engine.run(graph, table, {**FAST, "steps": 30}, device="cpu", seed=5)
    b = engine.run(graph, table, {**FAST, "steps": 30}, device="cpu", seed=5)
    np.testing.assert_array_equal(a.sample(50, seed=1)["x"], b.sample(50, seed=1)["x"])


def test_cancel_stops_the_run():
    table, _ = mixture_table(n=600)
    token = CancelToken()

    def stop_at_step_5(record: Progress) -> None:
        if record.step >= 5:
            token.cancel()

    with pytest.raises(RunCancelled):
        engine.run(
            generator_graph(table),
            table,
            {**FAST, "steps": 100_000, "quality_every": 1000},
            device="cpu",
            seed=0,
            progress=stop_at_step_5,
            cancel=token,
        )


def test_fewer_rows_than_a_batch_is_refused():
    table, _ = mixture_table(n=100)
    with pytest.raises(EngineError, match="fewer than one batch of 128"):
        engine.run(generator_graph(table), table, {**FAST, "steps": 10}, device="cpu")
