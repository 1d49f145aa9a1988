"""The MCMC settings form: the sampler first, and every sampler's settings within reach
without making the window taller than a laptop screen."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout

from backends.mcmc import engine as mcmc_engine
from backends.mcmc.settings import SAMPLERS
from workbench.ui.run.settings_form import SettingsForm


def test_the_sampler_comes_first_and_is_read_back(qtbot) -> None:  # noqa: ANN001
    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_specs(mcmc_engine.SETTINGS, {})
    layout = form._layout
    first = layout.itemAt(0, QFormLayout.ItemRole.LabelRole).widget().text()
    combo = layout.itemAt(0, QFormLayout.ItemRole.FieldRole).widget()
    assert first == "Sampler" and isinstance(combo, QComboBox)
    assert [combo.itemText(i) for i in range(combo.count())] == list(SAMPLERS)
    assert combo.currentText() == "auto" and "NUTS" in combo.toolTip()
    combo.setCurrentText("nuts")
    assert form.values() == {"sampler": "nuts"}


def test_many_settings_scroll_instead_of_stretching_the_window(qtbot) -> None:  # noqa: ANN001
    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_specs(mcmc_engine.SETTINGS, {})
    rows = form._layout.rowCount()
    assert rows == len(mcmc_engine.SETTINGS) > 15
    assert form.minimumSizeHint().height() < 200  # the rows' own height is ~25 px each
    # never narrower than its rows: the labels and fields are never cut off at the side
    assert form.minimumSizeHint().width() >= form._scroll.widget().minimumSizeHint().width()
