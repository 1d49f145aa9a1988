"""Where the walkers start: the posterior mode (MAP) and a small ball around it.

Starting at the mode shortens burn-in, and its failures are informative (a
density that cannot be evaluated anywhere is a modelling error the user should
hear about before sampling). The optimiser works in the unconstrained space the
sampler walks in, from several random starts, and takes its gradient by central
differences computed in one vectorised batch (2·dim points per call), so a
gradient costs one model evaluation rather than 2·dim.

The ball is scaled per parameter by the curvature at the mode (a diagonal
Laplace approximation), so that walkers start spread over a fraction of the
posterior width in every direction, neither collapsed nor far out in the tails.

Both follow the posterior's own scale, whatever it is. A user's "flat" prior
such as Uniform(-1e8, 1e8) is mapped to the sampler's space by a scaled logit,
where a regression coefficient known to ±0.06 is ~1e-9 wide while the noise
scale's log is ~0.03 wide. A fixed finite-difference step or a fixed floor on
the scale is then off by orders of magnitude: the ball was 10,000 posterior sds
wide and the optimiser, facing a condition number of 1e16, stopped far from the
mode. So the curvature's step is refined until it matches the scale it measures,
and the optimiser is restarted in coordinates scaled by that curvature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from threadpoolctl import threadpool_limits

from backends.runtime import CancelToken, EngineError

LogDensity = Callable[[np.ndarray], np.ndarray]
# The log-density and its gradient by automatic differentiation, at W points (W, dim).
BatchGradient = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

BOUND = 30.0  # |u| beyond this overflows exp() on the way back to constrained space
BALL_FRACTION = 0.1  # the ball's sd as a fraction of the approximate posterior sd
MAX_SCALE = 10.0  # the widest scale a coordinate gets (a flat direction)
RELATIVE_FLOOR = 1e-8  # the narrowest scale, relative to |u|: walkers stay distinct numbers
CURVATURE_ROUNDS = 8  # refinements of the curvature's step (each one model evaluation)
GRADIENT_STEP = 1e-6  # the gradient's step, in units of each coordinate's scale
SCALED_ROUNDS = 3  # optimiser restarts in curvature-scaled coordinates
GRADIENT_CHUNK = 128  # points per call of a batch gradient (one compiled shape)


@dataclass
class Start:
    mode: np.ndarray  # unconstrained MAP
    log_density: float
    scale: np.ndarray  # approximate posterior sd per unconstrained coordinate
    restarts: list[float]  # the optimum reached from each random start


def _gradient(
    log_density: LogDensity, u: np.ndarray, h: np.ndarray, exact: BatchGradient | None = None
) -> tuple[float, np.ndarray]:
    """The log-density at ``u`` and its gradient: ``exact``'s (automatic
    differentiation) when given, else central differences with steps ``h``."""
    if exact is not None:
        values, grads = exact(u[None, :])
        return float(values[0]), grads[0]
    dim = u.size
    points = np.vstack([u[None, :], u + np.diag(h), u - np.diag(h)])
    values = log_density(points)
    grad = (values[1 : dim + 1] - values[dim + 1 :]) / (2.0 * h)
    return float(values[0]), grad


def _second_derivatives(
    log_density: LogDensity, u: np.ndarray, h: np.ndarray, exact: BatchGradient | None
) -> np.ndarray:
    """d²log p/du_i² at ``u`` with steps ``h``: a second difference of the density, or
    with ``exact`` a central difference of the exact gradient, in chunks of one shape
    (a model of 2,000 parameters and 5,000 rows would otherwise evaluate 4,000
    points at once)."""
    dim = u.size
    if exact is None:
        points = np.vstack([u[None, :], u + np.diag(h), u - np.diag(h)])
        values = log_density(points)
        return (values[1 : dim + 1] + values[dim + 1 :] - 2.0 * values[0]) / h**2
    second = np.empty(dim)
    for first in range(0, dim, GRADIENT_CHUNK // 2):
        index = np.arange(first, min(dim, first + GRADIENT_CHUNK // 2))
        points = np.repeat(u[None, :], GRADIENT_CHUNK, axis=0)
        points[np.arange(index.size), index] += h[index]
        points[GRADIENT_CHUNK // 2 + np.arange(index.size), index] -= h[index]
        _, grads = exact(points)
        up = grads[np.arange(index.size), index]
        down = grads[GRADIENT_CHUNK // 2 + np.arange(index.size), index]
        second[index] = (up - down) / (2.0 * h[index])
    return second


def _curvature_scale(
    log_density: LogDensity, u: np.ndarray, exact: BatchGradient | None = None
) -> np.ndarray:
    """The posterior sd per coordinate of a diagonal Laplace approximation at ``u``.

    A second difference measures the curvature over its step, so the step follows
    the scale it finds (starting from 1e-3) until the two agree within a factor of
    two: one posterior sd, whether that is 10 or 1e-10. A neighbour with a
    non-finite density (the step crossed a boundary) shrinks the step tenfold. A
    direction that is flat or convex gets scale 1, as L-BFGS-B's own start would."""
    floor = RELATIVE_FLOOR * np.abs(u)
    h = 1e-3 * np.maximum(1.0, np.abs(u))
    scale = h
    for _ in range(CURVATURE_ROUNDS):
        second = _second_derivatives(log_density, u, h, exact)
        with np.errstate(divide="ignore", invalid="ignore"):
            measured = np.where(second < 0, 1.0 / np.sqrt(-second), 1.0)
        scale = np.where(np.isfinite(second), measured, 0.1 * h)
        scale = np.clip(scale, np.maximum(floor, np.finfo(float).tiny), MAX_SCALE)
        settled = np.abs(np.log(scale / h)) < np.log(2.0)
        h = scale
        if np.all(settled):
            break
    return scale


def _climb(
    log_density: LogDensity,
    centre: np.ndarray,
    scale: np.ndarray,
    exact: BatchGradient | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """L-BFGS-B in the coordinates z = (u - centre) / scale, from z = 0; returns the
    optimum u and the step in z that reached it."""
    lower = (-BOUND - centre) / scale
    upper = (BOUND - centre) / scale

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        lp, grad = _gradient(log_density, centre + scale * z, GRADIENT_STEP * scale, exact)
        if not np.isfinite(lp) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros_like(z)
        return -lp, -grad * scale

    with threadpool_limits(limits=1):  # BLAS threads only contend on such small problems
        fit = optimize.minimize(
            objective,
            np.zeros_like(centre),
            jac=True,
            method="L-BFGS-B",
            bounds=list(zip(lower, upper, strict=True)),
            options={"maxiter": 400},
        )
    return np.clip(centre + scale * fit.x, -BOUND, BOUND), fit.x


def find_map(
    log_density: LogDensity,
    dim: int,
    rng: np.random.Generator,
    restarts: int = 4,
    cancel: CancelToken | None = None,
    exact: BatchGradient | None = None,
) -> Start:
    """Maximise the log-density from ``restarts`` random points in [-2, 2]^dim, with
    the exact gradient ``exact`` when the sampler has one (finite differences cost
    2·dim evaluations each: minutes for a model with 2,000 parameters)."""
    best_u, best_lp, best_scale, reached = None, -np.inf, None, []
    for _ in range(max(1, restarts)):
        if cancel is not None:
            cancel.raise_if_cancelled()
        u0 = _finite_point(log_density, dim, rng)
        if u0 is None:
            continue
        u, scale = _optimum(log_density, u0, cancel, exact)
        lp = float(log_density(u[None, :])[0])
        reached.append(lp)
        if lp > best_lp:
            best_u, best_lp, best_scale = u, lp, scale
    if best_u is None:
        raise EngineError(
            "the log-density is not finite at any starting point: check the priors' "
            "supports and the data (e.g. a scale that can be zero)"
        )
    return Start(best_u, best_lp, best_scale, reached)


def _optimum(
    log_density: LogDensity,
    u0: np.ndarray,
    cancel: CancelToken | None,
    exact: BatchGradient | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The mode reached from ``u0`` and the curvature scale there.

    A first climb in the unconstrained coordinates (steps relative to |u|) gets
    near the mode; then the climb restarts in coordinates scaled by the curvature,
    where every direction is about one unit wide, until it moves less than 1e-3
    of a posterior sd."""
    u, _ = _climb(log_density, u0, np.maximum(1.0, np.abs(u0)), exact)
    lp = log_density(u[None, :])[0]
    scale = _curvature_scale(log_density, u, exact)
    for _ in range(SCALED_ROUNDS):
        if cancel is not None:
            cancel.raise_if_cancelled()
        moved, z = _climb(log_density, u, scale, exact)
        moved_lp = log_density(moved[None, :])[0]
        if not moved_lp >= lp:  # no better (or not finite): keep what we have
            break
        u, lp = moved, moved_lp
        scale = _curvature_scale(log_density, u, exact)
        if np.max(np.abs(z)) < 1e-3:
            break
    return u, scale


def _finite_point(log_density: LogDensity, dim: int, rng: np.random.Generator) -> np.ndarray | None:
    """A random point with a finite density, trying a batch of candidates at once."""
    for width in (2.0, 1.0, 0.5, 0.1):
        candidates = rng.uniform(-width, width, size=(64, dim))
        lp = log_density(candidates)
        ok = np.flatnonzero(np.isfinite(lp))
        if ok.size:
            return candidates[ok[np.argmax(lp[ok])]]
    return None


def initial_ball(
    log_density: LogDensity, start: Start, n_walkers: int, rng: np.random.Generator
) -> np.ndarray:
    """Walkers around the mode; points with a non-finite density are drawn again."""
    dim = start.mode.size
    ball = start.mode + BALL_FRACTION * start.scale * rng.standard_normal((n_walkers, dim))
    for _ in range(50):
        bad = ~np.isfinite(log_density(ball))
        if not bad.any():
            return ball
        shrink = 0.5 * BALL_FRACTION * start.scale
        ball[bad] = start.mode + shrink * rng.standard_normal((int(bad.sum()), dim))
    raise EngineError(
        "could not place the walkers around the mode: the density is not finite there"
    )
