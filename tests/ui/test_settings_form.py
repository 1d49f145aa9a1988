"""The run settings form shows and reads back exactly what a run will use."""

from __future__ import annotations

from PySide6.QtWidgets import QSpinBox

from backends.gan import engine as gan_engine
from workbench.ui.run.settings_form import SettingsForm


def test_a_small_saved_value_is_shown_and_read_back_unrounded(qtbot) -> None:  # noqa: ANN001
    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_specs(gan_engine.SETTINGS, {"critic_learning_rate": 4e-4})
    assert form.values() == {"critic_learning_rate": 4e-4}


def test_the_graphs_defaults_are_the_baseline_and_a_change_back_is_kept(qtbot) -> None:  # noqa: ANN001
    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_specs(gan_engine.SETTINGS, {}, gan_engine.IMAGE_SETTINGS)
    assert form.values() == {}  # nothing of the user's own yet
    critic_steps = form._editors["critic_steps"]
    assert isinstance(critic_steps, QSpinBox) and critic_steps.value() == 1
    table_default = next(s.default for s in gan_engine.SETTINGS if s.name == "critic_steps")
    critic_steps.setValue(table_default)  # the table default differs from the image one
    assert form.values() == {"critic_steps": table_default}


def test_a_zero_that_means_something_says_what(qtbot) -> None:  # noqa: ANN001
    """0 is "never" for the AUC to stop at, not 0.000 (and "auto" for MCMC walkers)."""
    from backends.mcmc import engine as mcmc_engine

    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_specs(gan_engine.SETTINGS, {})
    assert form._editors["target_auc"].text() == "never"
    assert form._editors["critic_learning_rate"].text() == "the learning rate"
    form.set_specs(mcmc_engine.SETTINGS, {})
    assert form._editors["walkers"].text() == "auto"
