"""Using a fitted GAN: saving and loading, conditional predictions, typicality, latents."""

from __future__ import annotations

import json
from io import BytesIO

import numpy as np
import pytest
from gan_helpers import FAST, SMALL_NET, generator_graph, mixed_table

from backends.gan import engine
from backends.gan.templates import gan
from backends.runtime import ColumnTable, EngineError, ResultState


def _through_a_file(state: ResultState) -> ResultState:
    """What a project file does to a state: JSON meta, .npy arrays without pickle, bytes."""
    arrays = {}
    for name, array in state.arrays.items():
        buffer = BytesIO()
        np.save(buffer, array, allow_pickle=False)
        buffer.seek(0)
        arrays[name] = np.load(buffer, allow_pickle=False)
    return ResultState(json.loads(json.dumps(state.meta)), arrays, dict(state.blobs))


@pytest.fixture(scope="module")
def mixed_fit():
    table = mixed_table()
    return engine.run(generator_graph(table), table, {**FAST, "steps": 200}, device="cpu", seed=2)


@pytest.fixture(scope="module")
def conditional_fit():
    """y | group=a ~ N(−2, 0.5²) and y | group=b ~ N(2, 0.5²)."""
    rng = np.random.default_rng(4)
    group = rng.choice(["a", "b"], size=1500)
    y = np.where(group == "a", -2.0, 2.0) + 0.5 * rng.standard_normal(1500)
    table = ColumnTable(
        {"group": np.array(group, dtype=object), "y": y}, {"group": "categorical", "y": "numeric"}
    )
    graph = gan(table, target="y", inputs=["group"])
    next(iter(graph.nodes.values())).options.update(SMALL_NET)
    return engine.run(graph, table, {**FAST, "steps": 400}, device="cpu", seed=1)


def test_save_load_sample_reproduces_the_rows(mixed_fit):
    loaded = engine.load_result(_through_a_file(mixed_fit.to_state()))
    before, after = mixed_fit.sample(300, seed=9), loaded.sample(300, seed=9)
    for name in ("colour", "flag", "count", "size"):
        np.testing.assert_array_equal(before[name], after[name])
    assert not np.array_equal(before["size"], mixed_fit.sample(300, seed=10)["size"])
    assert loaded.summary() == json.loads(json.dumps(mixed_fit.summary()))
    X = mixed_fit.encoder.numeric_matrix(before)
    np.testing.assert_array_equal(loaded.critic_score(X), mixed_fit.critic_score(X))


def test_a_rows_score_does_not_depend_on_its_batch(mixed_fit):
    """An integer column ("count") is dequantised and tied values spread with noise in
    training; scoring must not draw that noise by batch position, or the score is not a
    function of the row and its attributions do not add up."""
    rows = mixed_fit.sample(40, seed=3)
    X = mixed_fit.encoder.numeric_matrix(rows)
    alone = np.concatenate([mixed_fit.critic_score(X[i : i + 1]) for i in range(5)])
    # float32 matrix products may round differently by batch size (~1e-7); the noise
    # this guards against moves scores by ~0.1
    np.testing.assert_allclose(mixed_fit.critic_score(X)[:5], alone, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mixed_fit.critic_score(X[::-1])[::-1], mixed_fit.critic_score(X))


def test_summary_reports_quality_not_loss(mixed_fit):
    summary = json.loads(json.dumps(mixed_fit.summary()))
    assert summary["engine"] == "gan"
    metrics = summary["metrics"]
    assert 0.0 <= metrics["c2st_auc"] <= 1.0 and 0.0 <= metrics["max_tv"] <= 1.0
    assert set(summary["quality"]["columns"]) == {"colour", "flag", "count", "size"}
    assert isinstance(summary["converged"], bool) and isinstance(summary["warnings"], list)


def test_damaged_or_foreign_state_is_refused(mixed_fit):
    state = mixed_fit.to_state()
    state.blobs["generator"] = b"not weights"
    with pytest.raises(EngineError, match="generator weights are damaged"):
        engine.load_result(state).sample(3)
    with pytest.raises(EngineError, match="not a GAN result"):
        engine.load_result(ResultState({"engine": "gp"}))


def test_conditional_gan_predicts_the_target_given_the_condition(conditional_fit):
    result = conditional_fit
    assert result.input_names == ["group"] and result.target == "y"
    X = np.array([[0.0], [1.0]])  # level indices of "a" and "b"
    mean, lower, upper = result.predict(X, level=0.9)
    np.testing.assert_allclose(mean, [-2.0, 2.0], atol=0.4)
    assert np.all((lower < [-2.0, 2.0]) & (upper > [-2.0, 2.0]))
    _, lower, upper = result.predict(X, level=0.5)
    width = upper - lower  # the true central 50% interval is 0.67 wide
    assert np.all((width > 0.35) & (width < 1.2)), width
    assert result.sample_predict(X, 20, seed=1).shape == (20, 2)
    draws = result.sample_mean(X, 5)
    assert draws.shape == (5, 2) and np.ptp(draws, axis=0).max() == 0.0
    rows = result.sample(500, seed=0, conditions={"group": "b"})
    assert set(rows["group"]) == {"b"} and abs(np.mean(rows["y"]) - 2.0) < 0.4


def test_conditional_result_round_trips(conditional_fit):
    loaded = engine.load_result(_through_a_file(conditional_fit.to_state()))
    X = np.array([[0.0], [1.0], [1.0]])
    np.testing.assert_array_equal(
        loaded.sample_predict(X, 7, seed=3), conditional_fit.sample_predict(X, 7, seed=3)
    )
    np.testing.assert_array_equal(
        loaded.sample(50, seed=2)["y"], conditional_fit.sample(50, seed=2)["y"]
    )


def test_latent_tools_return_plain_rows(mixed_fit):
    path = mixed_fit.interpolate(1, 2, steps=5)
    assert path["t"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0] and len(path["size"]) == 5
    first = mixed_fit.sample(1, seed=1)
    assert path["size"][0] == pytest.approx(first["size"][0], rel=1e-6)  # same latent
    direction = mixed_fit.latent_direction("colour", "red", n=500)
    assert direction.shape == (8,) and np.linalg.norm(direction) > 0
    z = mixed_fit.latents(10, seed=0)
    row = mixed_fit.latent_arithmetic(z[:3], z[3:6], z[6:])
    assert len(row["size"]) == 1
    with pytest.raises(EngineError, match="not conditional"):
        mixed_fit.sample(3, conditions={"colour": "red"})


def test_a_table_is_coded_with_the_levels_the_gan_learnt(mixed_fit):
    """A level only in rows the GAN never saw (held out of its run) is unknown, not the
    code of another level."""
    from backends.design import design_matrix

    assert mixed_fit.summary()["levels"] == {"colour": ["blue", "green", "red"]}
    table = ColumnTable(
        {
            "colour": np.array(["amber", "red"], dtype=object),
            "flag": np.zeros(2),
            "count": np.ones(2),
            "size": np.full(2, 10.0),
        },
        {"colour": "categorical", "flag": "boolean", "count": "integer", "size": "numeric"},
    )
    design = design_matrix(mixed_fit, table)
    assert design.complete.tolist() == [False, True] and design.X[1, 0] == 2.0
