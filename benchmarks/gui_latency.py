"""How long the GUI thread stalls while each engine runs on the worker thread.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_latency.py [--engines mcmc,gp,gan]

A 10 ms heartbeat timer ticks on the GUI thread while the run panel's controller runs
an engine on a bundled example at its default (realistic) settings; every gap between
ticks beyond 10 ms is a stall the user would feel. The peer is the same heartbeat with
no run at all (the floor of this machine and Qt's timer). Engines are imported first,
as the window does on a background thread at start-up (importing torch holds the GIL
for a few hundred ms). Targets: p99 stall ≤ 16 ms, maximum ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from backends.engines import ENGINES, preload, settle_after_preload  # noqa: E402
from workbench.project import load_project  # noqa: E402
from workbench.runner import prepare_run  # noqa: E402
from workbench.ui.run.worker import RunController  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
PROJECTS = {
    "mcmc": "kidiq.wbproj",
    "gp": "mauna-loa-co2.wbproj",
    "gan": "earnings-gan.wbproj",
}
TICK_MS = 10


class Heartbeat:
    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> np.ndarray:
        self.timer.stop()
        return np.array(self.gaps[1:])


def measure_idle(seconds: float) -> np.ndarray:
    beat = Heartbeat()
    beat.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    return beat.stop()


def measure_run(engine: str, budget_s: float) -> tuple[np.ndarray, float, str]:
    project = load_project(EXAMPLES / PROJECTS[engine])
    plan = prepare_run(project, engine=engine, device="cpu")
    controller = RunController()
    outcome: list[str] = []
    loop = QEventLoop()
    controller.run_finished.connect(lambda record: (outcome.append("finished"), loop.quit()))
    controller.run_failed.connect(lambda record, _: (outcome.append(record.status), loop.quit()))
    beat = Heartbeat()
    started = time.perf_counter()
    beat.start()
    controller.start(plan)
    # a run longer than the budget is stopped, so Stop's latency is measured too
    QTimer.singleShot(int(budget_s * 1000), controller.stop)
    loop.exec()
    gaps = beat.stop()
    return gaps, time.perf_counter() - started, outcome[0]


def stalls(gaps: np.ndarray) -> tuple[float, float, float]:
    over = np.maximum(gaps - TICK_MS, 0.0)
    return float(np.median(over)), float(np.percentile(over, 99)), float(over.max())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="mcmc,gp,gan")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds before Stop")
    args = parser.parse_args()
    QApplication.instance() or QApplication([])
    for engine in ENGINES:  # as the run panel does on a background thread at start-up
        preload(engine)
    settle_after_preload()
    print(f"{'':28} {'run s':>7} {'ticks':>7} {'median':>8} {'p99':>8} {'max':>8}  (stall ms)")
    idle = measure_idle(5.0)
    print(
        f"{'no run (the floor)':28} {5.0:7.1f} {len(idle):7d} "
        + " ".join(f"{v:8.1f}" for v in stalls(idle))
    )
    for engine in args.engines.split(","):
        gaps, seconds, status = measure_run(engine, args.budget)
        label = f"{engine} ({status})"
        print(
            f"{label:28} {seconds:7.1f} {len(gaps):7d} "
            + " ".join(f"{v:8.1f}" for v in stalls(gaps))
        )


if __name__ == "__main__":
    main()
