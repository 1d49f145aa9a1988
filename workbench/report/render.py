"""One template, two targets: self-contained HTML for a browser (figures inline as
SVG), and the same HTML for Qt's printer, whose rich text cannot draw SVG (each
figure becomes an <img> naming a resource that pdf.py fills with the rendered
SVG). Everything the reader sees is written in the template; this module only
chooses how figures appear.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup, escape

TEMPLATE = "report.html.j2"


def _environment() -> jinja2.Environment:
    folder = resources.files("workbench.report") / "templates"
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )


def render(content: dict[str, Any], target: str = "web") -> tuple[str, dict[str, dict[str, Any]]]:
    """(html, figures): for target "web" the figures are inline and the dict is empty;
    for "qt" each figure is an <img src="figure-N"> and the dict maps N's name to it."""
    if target not in ("web", "qt"):
        raise ValueError(f"unknown render target {target!r}")
    figures: dict[str, dict[str, Any]] = {}

    def figure(fig: dict[str, Any]) -> Markup:
        if target == "web":
            return Markup(fig["svg"])
        name = f"figure-{len(figures) + 1}"
        figures[name] = fig
        return Markup(
            f'<img src="{name}" width="{fig["width"]}" height="{fig["height"]}" '
            f'alt="{escape(fig["alt"])}">'
        )

    template = _environment().get_template(TEMPLATE)
    content = {"person": None, "annex": None, "explanation": None, **content}
    return template.render(content=content, figure=figure), figures


def render_html(content: dict[str, Any]) -> str:
    """The self-contained HTML file's text."""
    return render(content, "web")[0]
