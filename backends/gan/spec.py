"""What the generator node asks for, read and checked before any training.

The generator node (``Node(kind="generator")``) keeps its settings as plain JSON:

- ``node.columns`` — the generated columns (or ``options["columns"]``);
- ``options["conditions"]`` — columns the generator is conditioned on (a conditional
  GAN: "generate the rest given these"); empty for an unconditional GAN;
- ``options["target"]`` — the generated column that ``predict`` reports for a
  conditional GAN (default: the first generated column);
- ``options["latent_size"]`` (default 64; images 32), ``options["hidden"]`` (generator
  layer widths, default [256, 256]; images [64]), ``options["critic_hidden"]`` (default =
  hidden);
- ``options["objective"]`` — "ns-sn" (default: non-saturating loss with a spectrally
  normalised critic) or "wgan-gp" (Wasserstein loss with a gradient penalty; give it
  ``critic_steps`` of 3–5); docs/gan.md says why;
- ``options["image"]`` — for the DCGAN: {"source": "digits"} (scikit-learn's 8×8
  digits), {"source": "folder", "path": "...", "size": 16} (grayscale PNGs), or
  {"source": "columns", "shape": [8, 8]} (the generated columns are pixels).

Every defect becomes a graph ``Problem`` naming the node and the field, so the
canvas can point at it; ``gan_spec_from_graph`` raises them together as one
EngineError so that a run says everything that is wrong at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from backends.graph.model import Graph, Node, Problem
from backends.runtime import ColumnTable, EngineError

OBJECTIVES = ("wgan-gp", "ns-sn")
IMAGE_SOURCES = ("digits", "folder", "columns")
GENERATED_TYPES = ("numeric", "integer", "boolean", "categorical", "date")
KNOWN_OPTIONS = {
    "columns",
    "conditions",
    "target",
    "latent_size",
    "hidden",
    "critic_hidden",
    "objective",
    "image",
}
DEFAULT_LATENT = 64
DEFAULT_HIDDEN = (256, 256)
# for images: channels at 2×2; an 8×8 digit needs far fewer than a table's MLP width,
# and each halving of the width makes a CPU step about four times cheaper
DEFAULT_IMAGE_HIDDEN = (64,)
# an 8×8 digit varies along far fewer directions than 64: with 32 the digits' two-sample
# AUC fell faster and lower (best in 3000 steps 0.77 → 0.75 with seed 0, 0.80 → 0.75
# with seed 1)
DEFAULT_IMAGE_LATENT = 32
DEFAULT_OBJECTIVE = "ns-sn"


@dataclass(frozen=True)
class ImageSpec:
    """Where the images come from and their side in pixels (square, grayscale)."""

    source: str
    size: int = 8
    path: str | None = None


@dataclass(frozen=True)
class GanSpec:
    """The checked content of one generator node."""

    node_id: str
    node_name: str
    columns: tuple[str, ...]
    conditions: tuple[str, ...] = ()
    target: str | None = None
    latent_size: int = DEFAULT_LATENT
    hidden: tuple[int, ...] = DEFAULT_HIDDEN
    critic_hidden: tuple[int, ...] = DEFAULT_HIDDEN
    objective: str = DEFAULT_OBJECTIVE
    image: ImageSpec | None = None

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["image"] = asdict(self.image) if self.image else None
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> GanSpec:
        image = raw.get("image")
        return cls(
            node_id=str(raw["node_id"]),
            node_name=str(raw["node_name"]),
            columns=tuple(raw["columns"]),
            conditions=tuple(raw.get("conditions", ())),
            target=raw.get("target"),
            latent_size=int(raw["latent_size"]),
            hidden=tuple(int(h) for h in raw["hidden"]),
            critic_hidden=tuple(int(h) for h in raw["critic_hidden"]),
            objective=str(raw["objective"]),
            image=ImageSpec(**image) if image else None,
        )


def generator_node(graph: Graph) -> tuple[Node | None, list[Problem]]:
    """The graph's one generator node, or the problem that there is none or several."""
    nodes = list(graph.nodes_of_kind("generator"))
    if not nodes:
        return None, [Problem("the GAN engine needs a generator node; the model has none")]
    if len(nodes) > 1:
        return None, [Problem("only one generator node per model", n.id, "kind") for n in nodes]
    return nodes[0], []


def generator_problems(graph: Graph, table: ColumnTable) -> list[Problem]:
    """Every defect of the generator node against this table (empty when it can run)."""
    node, problems = generator_node(graph)
    if node is None:
        return problems
    _, problems = _read_node(node, table)
    return problems


def gan_spec_from_graph(graph: Graph, table: ColumnTable) -> GanSpec:
    """The generator node as a GanSpec; raises EngineError listing every problem."""
    node, problems = generator_node(graph)
    spec = None
    if node is not None:
        spec, problems = _read_node(node, table)
    if problems or spec is None:
        raise EngineError("; ".join(p.describe(graph) for p in problems))
    return spec


def _read_node(node: Node, table: ColumnTable) -> tuple[GanSpec | None, list[Problem]]:
    opts = node.options
    problems: list[Problem] = []

    def bad(message: str, field: str) -> None:
        problems.append(Problem(message, node.id, field))

    for key in sorted(set(opts) - KNOWN_OPTIONS):
        bad(f"unknown option {key!r}; known: {', '.join(sorted(KNOWN_OPTIONS))}", f"options.{key}")
    image = _read_image(opts.get("image"), bad)
    columns = _string_list(node.columns or opts.get("columns", []), "columns", bad)
    conditions = _string_list(opts.get("conditions", []), "options.conditions", bad)
    if image is not None and image.source != "columns":
        if columns or conditions:
            bad(
                "an image generator reads its images from options.image; leave columns empty",
                "columns",
            )
    else:
        if not columns:
            bad("choose at least one column to generate", "columns")
        _check_columns(columns, table, "columns", bad)
        _check_columns(conditions, table, "options.conditions", bad)
        for name in sorted(set(columns) & set(conditions)):
            bad(f"column {name!r} cannot be both generated and a condition", "options.conditions")
        if image is not None and image.source == "columns":
            if conditions:
                bad("an image generator cannot be conditioned", "options.conditions")
            shape = opts["image"].get("shape", [])
            if len(columns) != int(np.prod(shape)):
                bad(
                    f"the image shape {shape} needs {int(np.prod(shape))} pixel columns, "
                    f"not {len(columns)}",
                    "options.image.shape",
                )
    target = opts.get("target")
    if target is not None and target not in columns:
        bad(f"the target {target!r} is not one of the generated columns", "options.target")
    if target is None and conditions and columns:
        target = columns[0]
    default_latent = DEFAULT_IMAGE_LATENT if image is not None else DEFAULT_LATENT
    latent = _positive_int(
        opts.get("latent_size", default_latent), 1, 1024, "options.latent_size", bad
    )
    default_hidden = list(DEFAULT_IMAGE_HIDDEN if image is not None else DEFAULT_HIDDEN)
    hidden = _widths(opts.get("hidden", default_hidden), "options.hidden", bad)
    critic = _widths(
        opts.get("critic_hidden", hidden or default_hidden), "options.critic_hidden", bad
    )
    objective = opts.get("objective", DEFAULT_OBJECTIVE)
    if objective not in OBJECTIVES:
        bad(f"objective {objective!r} is not one of {', '.join(OBJECTIVES)}", "options.objective")
    if problems:
        return None, problems
    spec = GanSpec(
        node_id=node.id,
        node_name=node.name,
        columns=tuple(columns),
        conditions=tuple(conditions),
        target=target,
        latent_size=latent,
        hidden=tuple(hidden),
        critic_hidden=tuple(critic),
        objective=objective,
        image=image,
    )
    return spec, []


def image_description(options: dict[str, Any]) -> str | None:
    """What an image generator node makes, in a few words ("8×8 digits"), for the
    canvas; None for a table generator or image settings that do not check out."""
    image = _read_image(options.get("image"), lambda *_: None)
    if image is None:
        return None
    side = f"{image.size}×{image.size}"
    return {
        "digits": f"{side} digits",
        "folder": f"{side} images",
        "columns": f"{side} images from columns",
    }[image.source]


def _read_image(raw: Any, bad) -> ImageSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        bad('image settings must be an object such as {"source": "digits"}', "options.image")
        return None
    source = raw.get("source")
    if source not in IMAGE_SOURCES:
        bad(
            f"image source {source!r} is not one of {', '.join(IMAGE_SOURCES)}",
            "options.image.source",
        )
        return None
    if source == "columns":
        shape = raw.get("shape")
        if not (
            isinstance(shape, list)
            and len(shape) == 2
            and shape[0] == shape[1]
            and all(isinstance(s, int) and s >= 4 for s in shape)
        ):
            bad("image shape must be a square [side, side] with side ≥ 4", "options.image.shape")
            return None
        return ImageSpec("columns", size=shape[0])
    size = raw.get("size", 8)
    if not isinstance(size, int) or size not in (8, 16, 32):
        bad(f"image size must be 8, 16 or 32 pixels, not {size!r}", "options.image.size")
        return None
    if source == "digits" and size != 8:
        bad("the digits are 8×8 images; use size 8", "options.image.size")
        return None
    path = raw.get("path")
    if source == "folder" and not (isinstance(path, str) and path):
        bad("a folder of images needs options.image.path", "options.image.path")
        return None
    return ImageSpec(source, size=size, path=path)


def _string_list(raw: Any, field: str, bad) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        bad("must be a list of column names", field)
        return []
    if len(set(raw)) != len(raw):
        bad("names a column twice", field)
    return list(raw)


def _check_columns(names: list[str], table: ColumnTable, field: str, bad) -> None:
    for name in names:
        if name not in table:
            bad(f"column {name!r} is not in the table", field)
            continue
        kind = table.types.get(name, "numeric")
        if kind not in GENERATED_TYPES:
            bad(
                f"column {name!r} is {kind}; a GAN handles numeric, integer, boolean, "
                "categorical and date columns",
                field,
            )
            continue
        values = table[name]
        missing = _missing_rows(values)
        if missing.size:
            bad(
                f"column {name!r} has {missing.size} missing values (first at row "
                f"{int(table.row_numbers(missing[:1])[0])}); drop or fill them before training",
                field,
            )
            continue
        if len(values) and _at_most_one_value(values):
            bad(
                f"column {name!r} has only one value; there is nothing to learn about it — "
                "leave it out",
                field,
            )


def _missing_rows(values: np.ndarray) -> np.ndarray:
    if values.dtype == object:
        return np.flatnonzero(np.array([v is None or v != v for v in values], dtype=bool))
    return np.flatnonzero(~np.isfinite(values.astype(np.float64)))


def _at_most_one_value(values: np.ndarray) -> bool:
    if values.dtype == object:
        first = str(values[0])
        return all(str(v) == first for v in values)
    return bool(np.all(values == values[0]))


def _positive_int(raw: Any, low: int, high: int, field: str, bad) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        bad(f"must be a whole number from {low} to {high}, not {raw!r}", field)
        return low
    return raw


def _widths(raw: Any, field: str, bad) -> list[int]:
    if (
        not isinstance(raw, list)
        or not 1 <= len(raw) <= 8
        or not all(isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= 4096 for h in raw)
    ):
        bad(f"must be a list of 1 to 8 layer widths from 1 to 4096, not {raw!r}", field)
        return []
    return list(raw)
