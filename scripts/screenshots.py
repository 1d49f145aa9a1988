"""Render the README's pictures of the window: run an example from the Run tab, as a user
would, and save each results tab as a PNG.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/images]

A run takes its default (not quick) settings, so the pictures show what a user sees.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from workbench.project import load_project  # noqa: E402
from workbench.ui.main_window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"
SIZE = (1400, 860)


def settle(app: QApplication, seconds: float) -> None:
    """Let workers finish and plots repaint for a while."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)


def run_from_the_window(app: QApplication, window: MainWindow, timeout_s: float = 600) -> None:
    panel = window.run_panel
    panel.quick_box.setChecked(False)
    loop = QEventLoop()
    panel.run_stored.connect(lambda _record: loop.quit())
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    panel.run_button.click()
    loop.exec()
    record = window.project.latest_run()
    if record is None or record.status != "finished":
        raise SystemExit(f"the run did not finish: {record.message if record else 'no run'}")


def shoot(app: QApplication, window: MainWindow, path: Path, wait_s: float = 3.0) -> None:
    settle(app, wait_s)
    window.grab().save(str(path))
    print(f"wrote {path}")


def results_tab(window: MainWindow, name: str) -> None:
    window.tabs.setCurrentWidget(window.runs_panel)
    views = window.runs_panel.views
    for index in range(views.count()):
        if views.tabText(index) == name:
            views.setCurrentIndex(index)
            return
    raise SystemExit(f"no results tab named {name!r}")


def close_unsaved(window: MainWindow) -> None:
    """The runs made for the pictures are not saved into the bundled examples."""
    window.project.modified = False
    window.close()


def open_example(file: str) -> MainWindow:
    window = MainWindow(load_project(EXAMPLES / file))
    window.resize(*SIZE)
    window.show()
    return window


def ran_example(app: QApplication, file: str, tab: str) -> MainWindow:
    window = open_example(file)
    run_from_the_window(app, window)
    results_tab(window, tab)
    return window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])

    window = open_example("kidiq.wbproj")
    shoot(app, window, args.out / "main-window.png", wait_s=1.0)
    run_from_the_window(app, window)
    results_tab(window, "Posterior")
    shoot(app, window, args.out / "posterior.png")
    results_tab(window, "Attributions")
    shoot(app, window, args.out / "attributions.png", wait_s=15.0)
    close_unsaved(window)

    window = ran_example(app, "mauna-loa-co2.wbproj", "Predictive")
    settle(app, 8.0)
    # zoomed as a user would with the mouse: at fifty years' scale the band is a hairline,
    # over the last years and the forecast past the data it shows
    window.runs_panel.predictive.plot.setXRange(1994, 2006)
    window.runs_panel.predictive.plot.setYRange(352, 384)  # the ppm of those years
    shoot(app, window, args.out / "gp-band.png", wait_s=1.0)
    close_unsaved(window)

    window = ran_example(app, "earnings-gan.wbproj", "Samples")
    shoot(app, window, args.out / "gan-samples.png", wait_s=8.0)
    close_unsaved(window)

    window = ran_example(app, "digits-gan.wbproj", "Samples")
    shoot(app, window, args.out / "gan-digits.png", wait_s=8.0)
    close_unsaved(window)


if __name__ == "__main__":
    main()
