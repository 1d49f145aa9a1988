"""The model canvas: draw the model, edit its nodes, read it as formulas.

``ModelEditor`` is the one widget the main window embeds; ``templates_menu``
gives the "New model from template" menu that opens the same dialog as the
editor's Template button.
"""

from workbench.ui.canvas.editor import ModelEditor
from workbench.ui.canvas.templates import TemplateDialog, templates_menu

__all__ = ["ModelEditor", "TemplateDialog", "templates_menu"]
