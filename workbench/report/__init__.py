"""The right-to-explanation report: one decision (one row) or the model as a whole,
as self-contained HTML or PDF, recorded in the project when exported.

Everything here is Qt-free except ``pdf.py`` (QtGui, to print), which is
imported only when a PDF is written. See docs/report.md.

The names below load their module on first use (PEP 562), so that importing
``workbench.report.errors`` — as the CLI does for every command — does not pay
for the explanation engine.
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "KINDS": "content",
    "ReportOptions": "content",
    "build_content": "content",
    "explain_row_json": "export",
    "export_report": "export",
    "write_report": "export",
    "render_html": "render",
    "ReportSettings": "settings",
    "read_settings": "settings",
    "ReportError": "errors",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'workbench.report' has no attribute {name!r}")
    return getattr(import_module(f"workbench.report.{_HOMES[name]}"), name)
