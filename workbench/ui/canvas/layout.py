"""Automatic layered layout: parents above children, plates as tidy boxes.

A Sugiyama-style layout reduced to what small models need: layers by longest
path from the roots (arrows drawn *and* implied by expressions, since the
expressions are what the model computes), a few barycentre sweeps to reduce
crossings, and columns reserved per plate so that every plate's members stand
in one block and its box encloses nothing else. Pure Python, no Qt: it returns
positions, and the editor turns them into one Move command.
"""

from __future__ import annotations

from backends.graph.dependencies import implied_edges
from backends.graph.model import Graph

X_GAP, Y_GAP = 170.0, 120.0
PLATE_PAD, PLATE_CAPTION = 20.0, 16.0  # top + bottom extents stay below Y_GAP
NODE_HALF_W, NODE_HALF_H = 72.0, 25.0


def _parents(graph: Graph) -> dict[str, set[str]]:
    parents: dict[str, set[str]] = {nid: set() for nid in graph.nodes}
    for edge in graph.edges.values():
        if edge.source in parents and edge.target in parents:
            parents[edge.target].add(edge.source)
    for source, target in implied_edges(graph):
        parents[target].add(source)
    return parents


def _acyclic(graph: Graph, parents: dict[str, set[str]]) -> dict[str, set[str]]:
    """Drop the arrows that close a cycle (found by depth-first search)."""
    state: dict[str, int] = {}
    kept = {nid: set(ps) for nid, ps in parents.items()}

    def visit(nid: str) -> None:
        state[nid] = 1
        for parent in sorted(parents[nid], key=lambda p: graph.nodes[p].name):
            if state.get(parent) == 1:
                kept[nid].discard(parent)
            elif parent not in state:
                visit(parent)
        state[nid] = 2

    for nid in sorted(graph.nodes, key=lambda n: graph.nodes[n].name):
        if nid not in state:
            visit(nid)
    return kept


def _layers(graph: Graph, parents: dict[str, set[str]]) -> dict[str, int]:
    layer: dict[str, int] = {}

    def depth(nid: str) -> int:
        if nid not in layer:
            layer[nid] = 0  # guards recursion; cycles were removed already
            layer[nid] = max((depth(p) + 1 for p in parents[nid]), default=0)
        return layer[nid]

    for nid in graph.nodes:
        depth(nid)
    return layer


def _sink_sources(
    layer: dict[str, int], parents: dict[str, set[str]], children: dict[str, set[str]]
) -> None:
    """Move a parentless node down to just above its nearest child (priors sit
    next to what they inform, not all on the top row)."""
    for nid in layer:
        if not parents[nid] and children[nid]:
            layer[nid] = min(layer[c] for c in children[nid]) - 1


def layered_layout(graph: Graph) -> tuple[dict[str, tuple[float, float]], dict[str, dict]]:
    """New node centres, and new position and size for each plate with members."""
    if not graph.nodes:
        return {}, {}
    parents = _acyclic(graph, _parents(graph))
    children: dict[str, set[str]] = {nid: set() for nid in graph.nodes}
    for nid, ps in parents.items():
        for p in ps:
            children[p].add(nid)
    layer = _layers(graph, parents)
    _sink_sources(layer, parents, children)
    rows: list[list[str]] = [[] for _ in range(max(layer.values()) + 1)]
    for nid in sorted(graph.nodes, key=lambda n: (graph.nodes[n].position[0], graph.nodes[n].name)):
        rows[layer[nid]].append(nid)
    plate_rank = {
        pid: k for k, pid in enumerate(sorted(graph.plates, key=lambda p: graph.plates[p].name))
    }

    def group(nid: str) -> int:
        plate = graph.nodes[nid].plate
        return plate_rank[plate] + 1 if plate in plate_rank else 0

    order = {nid: i for row in rows for i, nid in enumerate(row)}

    def bary(nid: str, near: dict[str, set[str]]) -> float:
        """Mean position of the neighbours in the layer swept from."""
        others = near[nid]
        return sum(order[n] for n in others) / len(others) if others else order[nid]

    for sweep in range(4):
        downward = sweep % 2 == 0
        near = parents if downward else children
        for row in rows if downward else reversed(rows):
            row.sort(key=lambda n, near=near: (group(n), bary(n, near)))
            order.update({nid: i for i, nid in enumerate(row)})
    return _place(graph, rows, group, len(plate_rank))


def _place(graph: Graph, rows: list[list[str]], group, n_groups: int):  # noqa: ANN001
    """Free nodes on the left; each plate in a block of columns to their right.

    A plate reserves its columns only over the layers it spans, so plates that
    follow each other down the page share one block (a stack of boxes rather than
    a staircase), and layers crossed by no plate centre their nodes.
    """
    spans: dict[int, tuple[int, int]] = {}
    width = [0] * (n_groups + 1)
    for depth, row in enumerate(rows):
        for g in range(n_groups + 1):
            count = sum(1 for n in row if group(n) == g)
            width[g] = max(width[g], count)
            if count and g:
                lo, hi = spans.get(g, (depth, depth))
                spans[g] = (min(lo, depth), max(hi, depth))
    tracks: list[list[int]] = []  # plates whose layer spans do not overlap share a track
    for g in sorted(spans, key=lambda g: spans[g]):
        track = next((t for t in tracks if spans[t[-1]][1] < spans[g][0]), None)
        if track is None:
            tracks.append([g])
        else:
            track.append(g)
    spanned = {d for lo, hi in spans.values() for d in range(lo, hi + 1)}
    free_width = max((sum(1 for n in rows[d] if not group(n)) for d in spanned), default=0)
    start = {0: 0.0}
    column = free_width + (0.6 if free_width else 0.0)
    for track in tracks:
        track_width = max(width[g] for g in track)
        for g in track:
            start[g] = column + (track_width - width[g]) / 2.0
        column += track_width + 0.6
    total = max(column - 0.6, 1.0)
    positions: dict[str, tuple[float, float]] = {}
    for depth, row in enumerate(rows):
        for g in range(n_groups + 1):
            members = [n for n in row if group(n) == g]
            if not members:
                continue
            if g == 0 and depth not in spanned:
                first = (total - len(members)) / 2.0
            else:
                block = free_width if g == 0 else width[g]
                first = start[g] + (block - len(members)) / 2.0
            for k, nid in enumerate(members):
                positions[nid] = ((first + k) * X_GAP, depth * Y_GAP)
    return positions, _plate_boxes(graph, positions)


def _plate_boxes(graph: Graph, positions: dict[str, tuple[float, float]]) -> dict[str, dict]:
    plates: dict[str, dict] = {}
    for pid in graph.plates:
        inside = [positions[n] for n in positions if graph.nodes[n].plate == pid]
        if not inside:
            continue
        left = min(x for x, _ in inside) - NODE_HALF_W - PLATE_PAD
        top = min(y for _, y in inside) - NODE_HALF_H - PLATE_PAD
        right = max(x for x, _ in inside) + NODE_HALF_W + PLATE_PAD
        bottom = max(y for _, y in inside) + NODE_HALF_H + PLATE_PAD + PLATE_CAPTION
        plates[pid] = {"position": (left, top), "size": (right - left, bottom - top)}
    return plates
