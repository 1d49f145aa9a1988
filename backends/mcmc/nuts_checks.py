"""What NUTS users read before they trust a run, said in words.

Beyond R-hat and ESS (shared with every sampler), NUTS reports its own failures:
divergent transitions (the integrator met curvature it could not follow — the
draws are biased there), trajectories that hit the maximum tree depth (the
sampler could not reach a U-turn: slow mixing), and a low E-BFMI (the momentum
resampling cannot move the energy enough: heavy tails or a funnel; Betancourt
2016, threshold 0.3). Divergences are located: the parameter whose divergent
draws sit lowest on the scale it lives on, compared with all draws, is named
("near small tau"), and when that parameter is the scale of a centred
hierarchical node (``theta ~ Normal(mu, tau)``) the funnel and its usual fix,
the non-centred form, are named too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from arviz_stats.base import array_stats

from backends.graph.compile import Block
from backends.graph.dependencies import parsed_fields
from backends.graph.expressions import Expression
from backends.graph.model import Graph
from backends.mcmc.nuts import NutsChains

BFMI_LIMIT = 0.3  # Betancourt (2016): below this the energy explores poorly
DEPTH_SHARE_LIMIT = 0.01  # more than 1% of draws at the maximum tree depth
LOCATE_MIN = 5  # divergences needed before their place is named
LOCATE_Z = -0.5  # divergent draws this many sds below the mean locate the problem


@dataclass(frozen=True)
class Funnel:
    """A centred hierarchical node whose scale is where the divergences happen."""

    node: str  # the centred node, e.g. theta
    scale: str  # its scale parameter, e.g. tau


def centred_nodes(graph: Graph) -> dict[str, str]:
    """Scale name -> node name for stochastic nodes written ``x ~ Family(..., sigma=s)``
    with ``s`` a stochastic node: the centred form that funnels come from."""
    stochastic = {n.name for n in graph.nodes_of_kind("stochastic")}
    out: dict[str, str] = {}
    for node in graph.nodes_of_kind("stochastic"):
        sigma = parsed_fields(node).get("params.sigma")
        if isinstance(sigma, Expression) and sigma.text.strip() in stochastic:
            out.setdefault(sigma.text.strip(), node.name)
    return out


def locate_divergences(chains: NutsChains, blocks: list[Block]) -> str | None:
    """The scalar parameter whose divergent draws sit lowest relative to all draws."""
    divergent = chains.diverging.reshape(-1)
    if divergent.sum() < LOCATE_MIN or divergent.all():
        return None  # where one or two divergences sit says nothing about a region
    flat = chains.draws.reshape(-1, chains.draws.shape[-1])
    worst, worst_z = None, LOCATE_Z
    for block in blocks:
        if block.size != 1:
            continue
        column = flat[:, block.start]
        sd = column.std()
        if sd <= 0:
            continue
        z = (column[divergent].mean() - column.mean()) / sd
        if z < worst_z:
            worst, worst_z = block.name, z
    return worst


def nuts_warnings(
    chains: NutsChains, blocks: list[Block], graph: Graph, max_depth: int
) -> tuple[list[str], Funnel | None]:
    """NUTS's own warnings (R-hat and ESS are judged elsewhere) and a funnel, if found."""
    warnings: list[str] = []
    funnel = None
    n_div = int(chains.diverging.sum())
    if n_div:
        share = n_div / chains.diverging.size
        where = locate_divergences(chains, blocks)
        text = f"{n_div} divergent transition(s) ({share:.1%} of the draws)"
        text += f" near small {where}" if where else ""
        text += (
            ": the sampler could not follow the posterior's curvature there, so the draws "
            "are biased."
        )
        centred = centred_nodes(graph)
        if where in centred:
            funnel = Funnel(centred[where], where)
            family = graph.node_by_name(funnel.node).distribution
            text += (
                f" The model has a funnel: {funnel.node} ~ {family}(…, {funnel.scale}) is in "
                f"the centred form; the non-centred form ({funnel.node} = mean + "
                f"{funnel.scale} * z, z ~ Normal(0, 1)) usually fixes it."
            )
        else:
            text += " Raising target_accept (0.9, 0.95) or reparameterising may help."
        warnings.append(text)
    saturated = float(chains.max_depth_reached.mean())
    if saturated > DEPTH_SHARE_LIMIT:
        warnings.append(
            f"{saturated:.0%} of the draws hit the maximum tree depth ({max_depth}): the "
            "sampler moves slowly (strong correlations or very different scales). Raise "
            "max_tree_depth or reparameterise."
        )
    bfmi = energy_bfmi(chains)
    low = [i + 1 for i, b in enumerate(bfmi) if np.isfinite(b) and b < BFMI_LIMIT]
    if low:
        warnings.append(
            f"E-BFMI is below {BFMI_LIMIT} in chain(s) {', '.join(map(str, low))} "
            f"(lowest {min(bfmi):.2f}): the sampler explores the energy poorly — heavy "
            "tails or a funnel; reparameterise."
        )
    return warnings, funnel


def energy_bfmi(chains: NutsChains) -> list[float]:
    """E-BFMI per chain (for the summary and the energy plot)."""
    return [float(b) for b in np.atleast_1d(array_stats.bfmi(chains.energy))]
