"""The layers hold: backends know nothing of the application or Qt, and the
application outside workbench/ui/ knows nothing of Qt (DESIGN.md, "Layers").

Checked two ways: import-linter's contracts in pyproject.toml (the same tool
napari uses), and a direct AST walk that also catches imports inside functions.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT = ("PySide6", "pyqtgraph", "superqt", "shiboken6")
# The one module outside ui/ allowed to print PDFs with QtGui (DESIGN.md).
PDF_PRINTER = ROOT / "workbench" / "report" / "pdf.py"


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("backends"), ids=lambda p: str(p.relative_to(ROOT)))
def test_backends_import_neither_qt_nor_workbench(path: Path) -> None:
    bad = imported_roots(path) & {*QT, "workbench"}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in python_files("workbench")
        if "ui" not in p.relative_to(ROOT).parts and p != PDF_PRINTER
    ],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_application_outside_ui_does_not_import_qt(path: Path) -> None:
    bad = imported_roots(path) & set(QT)
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_check_catches_a_violation(tmp_path: Path) -> None:
    offender = tmp_path / "bad.py"
    offender.write_text("def f():\n    from PySide6 import QtCore\n")
    assert "PySide6" in imported_roots(offender)


def test_import_linter_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
