"""What a run is given: the engine's defaults for the graph, the user's settings, quick."""

from __future__ import annotations

from pathlib import Path

from backends.gan import engine as gan_engine
from workbench.project import load_project
from workbench.runner import prepare_run

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def test_an_image_gan_gets_the_image_settings_and_a_table_gan_the_table_ones() -> None:
    digits = load_project(EXAMPLES / "digits-gan.wbproj")
    plan = prepare_run(digits, engine="gan")
    for name, value in gan_engine.IMAGE_SETTINGS.items():
        assert plan.settings[name] == value, name
    quick = prepare_run(digits, engine="gan", quick=True)
    assert quick.settings["steps"] == gan_engine.QUICK_IMAGE_SETTINGS["steps"]
    assert (
        quick.settings["critic_learning_rate"] == gan_engine.IMAGE_SETTINGS["critic_learning_rate"]
    )

    earnings = load_project(EXAMPLES / "earnings-gan.wbproj")
    table = prepare_run(earnings, engine="gan", quick=True)
    assert table.settings["steps"] == gan_engine.QUICK_SETTINGS["steps"]
    assert table.settings["critic_learning_rate"] == 0.0  # the learning rate, as before


def test_the_users_settings_win_over_the_tailored_defaults() -> None:
    digits = load_project(EXAMPLES / "digits-gan.wbproj")
    digits.update_settings(engine_settings={"gan": {"batch_size": 32}})
    plan = prepare_run(digits, engine="gan", overrides={"steps": 50})
    assert plan.settings["batch_size"] == 32 and plan.settings["steps"] == 50
    assert plan.settings["learning_rate"] == gan_engine.IMAGE_SETTINGS["learning_rate"]


def test_a_held_out_share_splits_the_rows_and_names_their_table() -> None:
    import numpy as np
    import pytest

    from backends.runtime import EngineError

    kidiq = load_project(EXAMPLES / "kidiq.wbproj")
    table = kidiq.dataset.column_table()
    plan = prepare_run(kidiq, holdout=0.25, seed=3)
    assert len(plan.holdout_rows) == 108 and plan.table.n_rows == 434 - 108
    assert plan.holdout_table == table.fingerprint != ""
    kept = np.setdiff1d(np.arange(434), plan.holdout_rows)
    np.testing.assert_array_equal(plan.table["mom_iq"], table["mom_iq"][kept])
    assert prepare_run(kidiq, holdout=0.25, seed=3).holdout_rows == plan.holdout_rows
    # the fitted part still numbers its rows as the user's table does (messages)
    np.testing.assert_array_equal(plan.table.row_numbers(np.arange(3)), kept[:3] + 1)
    np.testing.assert_array_equal(plan.table.take([2, 0]).row_numbers([0, 1]), kept[[2, 0]] + 1)
    assert prepare_run(kidiq).holdout_rows == () and prepare_run(kidiq).holdout_table == ""
    for bad in (float("nan"), 1.0, -0.1):
        with pytest.raises(EngineError, match="between 0 and 1"):
            prepare_run(kidiq, holdout=bad)


def test_a_run_waits_for_a_background_preload_to_end() -> None:
    """Imports racing the window's preload break torch: the run starts after it."""
    import threading
    import time

    from backends import engines

    engines._PRELOAD_DONE.clear()  # a preload going on
    threading.Timer(0.3, engines._PRELOAD_DONE.set).start()
    began = time.perf_counter()
    engines.wait_for_preload()
    assert time.perf_counter() - began >= 0.25 and engines._PRELOAD_DONE.is_set()
