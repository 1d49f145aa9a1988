"""Guard against the PySide6/pyqtgraph crash on large plots that pinned our Qt version."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("plot_stress.py")


def test_large_plots_repaint_without_crashing_the_interpreter() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-2000:]}"
    assert result.stdout.strip() == "ok"
