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
