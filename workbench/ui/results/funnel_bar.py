"""The bar above the posterior plots that offers the non-centred rewrite.

When NUTS found its divergences in the neck of a funnel (the summary's
``funnel``: a centred node ``theta ~ Normal(mu, tau)`` and its scale ``tau``),
the bar says so in words and offers the fix as one undoable command on the
project's model. It reads the model, not the run, to decide what to offer: the
model may have changed since the run, and after the rewrite (or its undo) the
bar follows the graph's events like every other view.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from backends.graph.model import Graph
from backends.graph.rewrite import non_centred
from backends.runtime import EngineError
from workbench.project import Project, ProjectEvent
from workbench.text import count
from workbench.ui.canvas.commands import apply_rewrite

WARN_STYLE = "FunnelBar { background: #fff4e5; border: 1px solid #e3a008; border-radius: 4px; }"
DONE_STYLE = "FunnelBar { background: #e8f1fb; border: 1px solid #8ab4e8; border-radius: 4px; }"


class FunnelBar(QFrame):
    """Hidden unless the shown run has a funnel. Without an undo stack (a panel that
    shows results but may not edit the model) it explains and offers no button."""

    def __init__(self, undo_stack: QUndoStack | None = None) -> None:
        super().__init__()
        self._undo_stack = undo_stack
        self._project: Project | None = None
        self._funnel: tuple[str, str] | None = None
        self._divergences = 0
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.rewrite_button = QPushButton()
        self.rewrite_button.clicked.connect(self.rewrite)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.rewrite_button)
        self.hide()

    def set_project(self, project: Project | None) -> None:
        if project is self._project:
            return
        if self._project is not None:
            self._project.unsubscribe(self._on_project_event)
        self._project = project
        if project is not None:
            project.subscribe(self._on_project_event)
        self._refresh()

    def show_run(self, summary: dict[str, Any]) -> None:
        """The funnel of this run's summary, if it has one (an empty summary hides the bar)."""
        funnel = summary.get("funnel")
        self._funnel = (funnel["node"], funnel["scale"]) if funnel else None
        self._divergences = int(summary.get("divergences") or 0)
        self._refresh()

    def rewrite(self) -> None:
        """The rewrite, as one step on the window's undo stack."""
        if self._funnel is None or self._project is None or self._undo_stack is None:
            return
        graph = self._project.graph
        node = self._funnel[0]
        command = apply_rewrite(graph, non_centred(graph, node), f"Rewrite {node} non-centred")
        self._undo_stack.push(command)

    def _on_project_event(self, event: ProjectEvent) -> None:
        if event.type == "graph_changed":
            self._refresh()

    def _refresh(self) -> None:
        if self._funnel is None or self._project is None:
            self.hide()
            return
        node, scale = self._funnel
        graph = self._project.graph
        found = f"<b>{count(self._divergences, 'divergent transition')} near small {scale}</b>"
        centred = _is_centred(graph, node, scale)
        refusal = _refusal(graph, node) if centred else None
        if not centred:
            text = (
                f"{found} in this run. In the model, {node} is no longer in the centred "
                f"form{_now(graph, node)}: run again to check that the divergences are gone."
            )
        elif refusal is not None:
            text = (
                f"{found}: {node} is in the centred form, a funnel the sampler cannot "
                f"follow. It cannot be rewritten here ({refusal}); write it non-centred by "
                f"hand: {node}_z ~ Normal(0, 1) and {node} = location + {scale} * {node}_z."
            )
        else:
            text = (
                f"{found}: {node} is in the centred form ({_formula(graph, node)}), a funnel "
                "the sampler cannot follow. The non-centred form is the same model and "
                "usually samples cleanly."
            )
        self.message.setText(text)
        self.rewrite_button.setText(f"Rewrite {node} non-centred")
        self.rewrite_button.setToolTip(
            f"Replace {node} by a standard normal {node}_z and {node} = location + "
            f"{scale} * {node}_z, as one step (Edit ▸ Undo reverts it)."
        )
        self.rewrite_button.setVisible(centred and refusal is None and self._undo_stack is not None)
        self.setStyleSheet(WARN_STYLE if centred else DONE_STYLE)
        self.show()


def _is_centred(graph: Graph, node: str, scale: str) -> bool:
    found = graph.node_by_name(node)
    return (
        found is not None
        and found.kind == "stochastic"
        and found.params.get("sigma", "").strip() == scale
    )


def _refusal(graph: Graph, node: str) -> str | None:
    """Why the rewrite cannot be made (a Cauchy node, an empty parameter), or None."""
    try:
        non_centred(graph, node)
    except EngineError as exc:
        return str(exc)
    return None


def _formula(graph: Graph, name: str) -> str:
    node = graph.node_by_name(name)
    params = ", ".join(node.params.values())
    return f"{name} ~ {node.distribution}({params})"


def _now(graph: Graph, name: str) -> str:
    node = graph.node_by_name(name)
    if node is not None and node.kind == "deterministic" and node.expression:
        return f" ({name} = {node.expression}; Edit ▸ Undo restores the centred form)"
    return ""
