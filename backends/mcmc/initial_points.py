"""Where the gradient-based samplers start: Stan's rule, with one exception.

NUTS chains and the VI approximation start at random points of the unconstrained
space, not at the mode (``start.find_map``), which for a hierarchical model sits
in the neck of its funnel.
"""

from __future__ import annotations

import numpy as np

from backends.graph.compile import CompiledModel
from backends.mcmc.start import Start

INIT_TRIES = 100  # as Stan: random starts tried per chain before giving up on them
NARROW_SCALE = 0.01  # posterior sds (unconstrained) this small start near the mode


def initial_points(
    model: CompiledModel, start: Start, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Stan's initialisation: each chain at a uniform point in [-2, 2]^dim of the
    unconstrained space, redrawn (up to ``INIT_TRIES`` times) where the density is not
    finite. Not the mode: a hierarchical model's mode sits in the neck of its funnel
    (scale → 0), where NUTS adapts a tiny step and never leaves; dispersed starts also
    give R-hat something to compare. One exception: a coordinate whose posterior the
    curvature at the mode shows to be far narrower than that box (a "flat"
    Uniform(-1e8, 1e8) prior puts a coefficient's posterior within 1e-7 of 0) starts
    within ±2 of its approximate sds around the mode; from the box, warm-up spends
    itself shrinking the step size by orders of magnitude and leaves divergences. A
    chain with no finite point starts at the mode, jittered by those sds."""
    narrow = start.scale < NARROW_SCALE
    points = np.empty((n, model.dim))
    for k in range(n):
        tries = rng.uniform(-2.0, 2.0, size=(INIT_TRIES, model.dim))
        tries[:, narrow] = start.mode[narrow] + tries[:, narrow] * start.scale[narrow]
        finite = np.flatnonzero(np.isfinite(model.log_density(tries)))
        if finite.size:
            points[k] = tries[finite[0]]
        else:
            points[k] = start.mode + rng.normal(size=model.dim) * start.scale
    return points
