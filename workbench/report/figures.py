"""The report's pictures as SVG text, drawn with plain Python (no Qt, no plotting
library), so that the HTML carries them inline and stays one self-contained file.

The PDF printer turns the same SVG into images (QtSvg), since Qt's rich text does
not draw inline SVG. Every figure is a dict ``{"svg", "width", "height", "alt"}``;
``alt`` says in words what the picture shows (for screen readers and for text
extraction). The model picture follows the canvas's conventions (ellipses for
random variables, shaded when observed, a double outline for deterministic
nodes, rectangles for data, plates as boxes).
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

INK = "#2b2f36"
MUTED = "#5f6670"
GRID = "#dfe3e8"
RAISE = "#2f6db5"
LOWER = "#c0612b"
PLATE_FILL = "#f6f8fb"
PLATE_OUTLINE = "#8a94a3"
FONT = 'font-family="Helvetica, Arial, sans-serif"'

# kind -> (shape, fill, double outline, width, height): the canvas's look (ui/canvas/style.py)
NODE_LOOK = {
    "stochastic": ("ellipse", "#ffffff", False, 104.0, 50.0),
    "observed": ("ellipse", "#cfd6df", False, 104.0, 50.0),
    "deterministic": ("ellipse", "#ffffff", True, 104.0, 50.0),
    "data": ("rect", "#cfd6df", False, 104.0, 42.0),
    "constant": ("rect", "#ffffff", False, 88.0, 38.0),
    "gp": ("rounded", "#ece6f7", False, 116.0, 50.0),
    "generator": ("rounded", "#e0f2ef", False, 124.0, 50.0),
}
MAX_NODE_WIDTH = 170.0


def _svg(
    width: float, height: float, body: list[str], alt: str, scale: float = 1.0
) -> dict[str, Any]:
    w, h = math.ceil(width * scale), math.ceil(height * scale)
    text = (
        f'<svg width="{w}" height="{h}" '
        f'viewBox="0 0 {width:.1f} {height:.1f}" role="img" aria-label="{escape(alt)}">'
        + "".join(body)
        + "</svg>"
    )
    return {"svg": text, "width": w, "height": h, "alt": alt}


def _text(
    x: float,
    y: float,
    text: str,
    size: float = 12,
    anchor: str = "start",
    color: str = INK,
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" {FONT} fill="{color}" '
        f'text-anchor="{anchor}" font-weight="{weight}">{escape(text)}</text>'
    )


# --------------------------------------------------------------- the model
def _node_size(node: dict[str, Any]) -> tuple[float, float]:
    """Wide enough for the name (13 px bold) and the detail line (10.5 px) below it."""
    _, _, _, width, height = NODE_LOOK.get(node["kind"], NODE_LOOK["stochastic"])
    text = max(7.2 * len(node["name"]) + 28, 6.0 * len(_node_detail(node)) + 24)
    return min(max(width, text), MAX_NODE_WIDTH), height


def _node_detail(node: dict[str, Any]) -> str:
    """The line under a node's name, cut (with an ellipsis) to fit MAX_NODE_WIDTH."""
    if node["kind"] in ("data", "observed") and node.get("columns"):
        detail = ", ".join(node["columns"])
    elif node["kind"] == "constant":
        detail = str(node.get("value", ""))
    else:
        detail = str(node.get("distribution") or "")
    return _short(detail, 24)


def _boundary(
    cx: float, cy: float, w: float, h: float, shape: str, dx: float, dy: float
) -> tuple[float, float]:
    """Where the ray from the centre in direction (dx, dy) leaves the node's outline."""
    if dx == 0 and dy == 0:
        return cx, cy
    if shape == "ellipse":
        t = 1 / math.sqrt((dx / (w / 2)) ** 2 + (dy / (h / 2)) ** 2)
    else:
        t = min(w / 2 / abs(dx) if dx else math.inf, h / 2 / abs(dy) if dy else math.inf)
    return cx + t * dx, cy + t * dy


def model_figure(
    graph: dict[str, Any], max_width: float = 560, max_height: float = 400
) -> dict[str, Any]:
    """The drawn model, from the graph's saved positions (nodes centred on them)."""
    nodes = list(graph.get("nodes", []))
    plates = list(graph.get("plates", []))
    if not nodes:
        return _svg(
            300,
            40,
            [_text(10, 24, "(the model has no nodes)", color=MUTED)],
            "The model has no nodes.",
        )
    boxes = {}
    for node in nodes:
        w, h = _node_size(node)
        x, y = node.get("position", (0, 0))
        boxes[node["id"]] = (float(x), float(y), w, h)
    xs = [x - w / 2 for x, _, w, _ in boxes.values()] + [x + w / 2 for x, _, w, _ in boxes.values()]
    ys = [y - h / 2 for _, y, _, h in boxes.values()] + [y + h / 2 for _, y, _, h in boxes.values()]
    for plate in plates:
        (px, py), (pw, ph) = plate.get("position", (0, 0)), plate.get("size", (0, 0))
        xs += [px, px + pw]
        ys += [py, py + ph]
    margin = 16
    left, top = min(xs) - margin, min(ys) - margin
    width, height = max(xs) - left + margin, max(ys) - top + margin
    body = [
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/>'
        "</marker></defs>"
    ]
    for plate in plates:
        (px, py), (pw, ph) = plate.get("position", (0, 0)), plate.get("size", (0, 0))
        body.append(
            f'<rect x="{px - left:.1f}" y="{py - top:.1f}" width="{pw:.1f}" '
            f'height="{ph:.1f}" rx="6" fill="{PLATE_FILL}" stroke="{PLATE_OUTLINE}"/>'
        )
        over = plate.get("over", "rows")
        label = f"{plate.get('index', 'i')} in {over if over == 'rows' else 'levels of ' + over}"
        body.append(_text(px - left + pw - 8, py - top + ph - 8, label, 11, "end", MUTED))
    for edge in graph.get("edges", []):
        if edge["source"] not in boxes or edge["target"] not in boxes:
            continue
        sx, sy, sw, sh = boxes[edge["source"]]
        tx, ty, tw, th = boxes[edge["target"]]
        kinds = {n["id"]: n["kind"] for n in nodes}
        shape_s = NODE_LOOK.get(kinds[edge["source"]], NODE_LOOK["stochastic"])[0]
        shape_t = NODE_LOOK.get(kinds[edge["target"]], NODE_LOOK["stochastic"])[0]
        x1, y1 = _boundary(sx, sy, sw, sh, shape_s, tx - sx, ty - sy)
        x2, y2 = _boundary(tx, ty, tw, th, shape_t, sx - tx, sy - ty)
        body.append(
            f'<line x1="{x1 - left:.1f}" y1="{y1 - top:.1f}" x2="{x2 - left:.1f}" '
            f'y2="{y2 - top:.1f}" stroke="{INK}" stroke-width="1.3" '
            'marker-end="url(#arrow)"/>'
        )
    for node in nodes:
        x, y, w, h = boxes[node["id"]]
        shape, fill, double, _, _ = NODE_LOOK.get(node["kind"], NODE_LOOK["stochastic"])
        cx, cy = x - left, y - top
        outline = [(w, h)] + ([(w - 8, h - 8)] if double else [])
        for ow, oh in outline:
            if shape == "ellipse":
                body.append(
                    f'<ellipse cx="{cx:.1f}" cy="{cy:.1f}" rx="{ow / 2:.1f}" '
                    f'ry="{oh / 2:.1f}" fill="{fill}" stroke="{INK}" stroke-width="1.3"/>'
                )
            else:
                rx = 12 if shape == "rounded" else 0
                body.append(
                    f'<rect x="{cx - ow / 2:.1f}" y="{cy - oh / 2:.1f}" width="{ow:.1f}" '
                    f'height="{oh:.1f}" rx="{rx}" fill="{fill}" stroke="{INK}" '
                    'stroke-width="1.3"/>'
                )
        detail = _node_detail(node)
        body.append(
            _text(cx, cy - (1 if detail else -4), node["name"], 13, "middle", weight="bold")
        )
        if detail:
            body.append(_text(cx, cy + 14, detail, 10.5, "middle", MUTED))
    alt = "Picture of the model: " + ", ".join(f"{n['name']} ({n['kind']})" for n in nodes) + "."
    # small enough to share a page with its heading (an image cannot break across pages)
    return _svg(width, height, body, alt, scale=min(1.0, max_width / width, max_height / height))


# ----------------------------------------------------------- bar charts
def interval_bars(
    rows: list[dict[str, Any]],
    *,
    signed: bool,
    axis_label: str,
    ticks: bool = True,
    width: float = 600,
) -> dict[str, Any]:
    """Horizontal bars with interval whiskers, one per row: {"label", "value",
    "lower", "upper"}. ``signed``: bars go left (lowered) or right (raised) of a zero
    line; else they start at zero and grow right."""
    labels = [_short(r["label"]) for r in rows]
    label_w = min(280.0, max(80.0, 6.8 * max(len(t) for t in labels) + 16)) if rows else 80.0
    row_h, top = 26.0, 10.0
    plot_w = width - label_w - 20
    values = [v for r in rows for v in (r["value"], r["lower"], r["upper"])] + [0.0]
    lo, hi = min(values), max(values)
    if signed:
        span = max(abs(lo), abs(hi)) or 1.0
        lo, hi = -span, span
    else:
        lo, hi = 0.0, hi or 1.0
    pad = 0.05 * (hi - lo)
    lo, hi = lo - (pad if signed else 0), hi + pad

    def px(v: float) -> float:
        return label_w + (v - lo) / (hi - lo) * plot_w

    height = top + row_h * len(rows) + (40 if ticks else 28)
    body = []
    zero = px(0.0)
    for i, row in enumerate(rows):
        y = top + i * row_h
        colour = RAISE if row["value"] >= 0 or not signed else LOWER
        a, b = sorted((zero, px(row["value"])))
        body.append(_text(label_w - 8, y + 16, labels[i], 12, "end"))
        body.append(
            f'<rect x="{a:.1f}" y="{y + 5:.1f}" width="{max(b - a, 1):.1f}" '
            f'height="{row_h - 10:.1f}" fill="{colour}" fill-opacity="0.75"/>'
        )
        low, high = px(row["lower"]), px(row["upper"])
        mid = y + row_h / 2
        body.append(
            f'<line x1="{low:.1f}" y1="{mid:.1f}" x2="{high:.1f}" y2="{mid:.1f}" '
            f'stroke="{INK}" stroke-width="1.5"/>'
        )
        for end in (low, high):
            body.append(
                f'<line x1="{end:.1f}" y1="{mid - 5:.1f}" x2="{end:.1f}" '
                f'y2="{mid + 5:.1f}" stroke="{INK}" stroke-width="1.5"/>'
            )
    bottom = top + row_h * len(rows)
    body.append(
        f'<line x1="{zero:.1f}" y1="{top - 4:.1f}" x2="{zero:.1f}" y2="{bottom + 2:.1f}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    if ticks:
        for t in _nice_ticks(lo, hi):
            body.append(
                f'<line x1="{px(t):.1f}" y1="{bottom + 2:.1f}" x2="{px(t):.1f}" '
                f'y2="{bottom + 6:.1f}" stroke="{MUTED}"/>'
            )
            body.append(_text(px(t), bottom + 18, f"{t:g}", 10, "middle", MUTED))
        body.append(_text(label_w + plot_w / 2, bottom + 34, axis_label, 11, "middle", MUTED))
    else:
        body.append(_text(zero, bottom + 18, axis_label, 11, "middle", MUTED))
    alt = f"Bar chart: {axis_label}, for " + ", ".join(r["label"] for r in rows) + "."
    return _svg(width, height, body, alt)


def _short(label: str, limit: int = 40) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    raw = (hi - lo) / count
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * step:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [round(first + k * step, 10) for k in range(int((hi - first) / step) + 1)]
