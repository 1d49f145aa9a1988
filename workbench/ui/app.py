"""Start the Qt application."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from workbench import __version__
from workbench.ui.main_window import MainWindow


def run_app(project_path: Path | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Workbench")
    app.setApplicationVersion(__version__)
    window = MainWindow()
    if project_path is not None:
        window.open_path(Path(project_path))
    window.show()
    return app.exec()
