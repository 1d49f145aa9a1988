"""Shapley values of a black-box model by sampled coalitions, with an honest error.

The Shapley values are the solution of a constrained weighted least-squares fit
of an additive model to the game v(S) over all coalitions, with the Shapley
kernel weights mu(S) (Lundberg & Lee's KernelSHAP). The kernel weights are
symmetric in the features, so the normal matrix A = sum_S mu(S) z_S z_S' is
known in closed form (alpha I + beta 11'), and the solution is linear in
b = sum_S mu(S) z_S v(S):

    phi = (I - 11'/D) b / alpha + v(N) / D          (additive by construction)

Only b needs estimating. Four things keep its error small per model call:

1. Exact part: every coalition of size 1 and D-1 is enumerated (the sizes with
   the largest kernel weight), on every background row. Per background row b
   this gives a cheap additive fit phi0_b of that row's game; pairing sizes s
   and D-s makes it exact for games with interactions of order two or less.
2. Control variate: the remaining coalitions enter b only through the
   residuals r_b(S) = v_b(S) - z_S . phi0_b (higher-order interactions only);
   the part explained by phi0 is added exactly, through A.
3. Sampling: each unit is a coalition S of the remaining sizes (drawn with
   probability proportional to its kernel weight) and its complement
   (antithetic: mu(S) = mu(S^c)) on one background row, i.e. two model
   evaluations. The background rows are strata: every row gets the same number
   of units and the strata means are combined by the rows' weights. phi is
   linear in that combination, so the estimate is unbiased, and its standard
   error follows from the units' spread within each row: no replicates, no
   bootstrap. Stratifying removes the spread between rows (~7% of a unit's
   variance on the benchmark) and lets each row's fit be applied as one small
   matrix product instead of a gather per unit.
4. A second control variate, u_S^3 with u_S = z_S . phi0_b - v_b(N) / 2: for a
   smooth model of an additive index (a GLM on the probability scale) most of
   the residual is the cube of that index, and its kernel-weighted expectation
   is a closed-form polynomial in phi0_b (KernelDesign.cubic_moment). Its
   coefficient per output is fitted on the first round's units and then kept
   (a regression estimator: bias of order 1/units). On the benchmark's logistic
   model it halves the variance on most rows; on rows dominated by an
   interaction it does little.
After a first round, units are added in one step sized by the shortfall of the
worst value's standard error (it falls as 1/sqrt(units)), then in rounds, until
every error is within the tolerance.

All outputs of the model (e.g. 64 posterior draws) are explained from the same
model calls. Coalitions are boolean masks, as in coalitions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import comb, perm

import numpy as np

from backends.runtime import EngineError

Model = Callable[[np.ndarray], np.ndarray]

# A unit's standard error needs a few hundred units to be itself reliable; the
# first round is never smaller than this.
MIN_UNITS = 256
# At most this many rounds of units are drawn in one step (memory), however far the
# error still is from the tolerance.
JUMP_ROUNDS = 16


@dataclass
class SampledShapley:
    """values (n, D, K); base (K,); mc_error (n, D, K): standard error of each value;
    mean_error (n, D): standard error of the values' mean over the K outputs
    (not derivable from mc_error: the outputs share coalitions); n_evals (n,):
    model evaluations per row (plus one pass over the background, shared by all
    rows); converged (n,): tolerance met before max_evals;
    exact: every coalition was enumerated (D <= 3), no sampling."""

    values: np.ndarray
    base: np.ndarray
    mc_error: np.ndarray
    mean_error: np.ndarray
    n_evals: np.ndarray
    converged: np.ndarray
    exact: bool


class KernelDesign:
    """The Shapley kernel's constants for D features: which coalitions are
    enumerated, and the distribution the others are sampled from."""

    def __init__(self, n_features: int):
        d = self.d = n_features
        if d < 2:
            raise EngineError("the sampled estimator needs at least 2 features")
        sizes = np.arange(1, d)
        # kernel weight of one coalition of size s
        mu = (d - 1) / (np.array([comb(d, int(s)) for s in sizes], float) * sizes * (d - sizes))
        count = np.array([comb(d, int(s)) for s in sizes], float)
        # alpha = A_ii - A_ij = sum_s mu_s C(D-2, s-1), over the sizes in a set
        diag_gap = mu * np.array([comb(d - 2, int(s) - 1) for s in sizes], float)
        edge = (sizes == 1) | (sizes == d - 1)
        self.alpha_full = diag_gap.sum()
        self.alpha_edge = diag_gap[edge].sum()
        # enumerated: the D singletons, then the D complements of singletons
        eye = np.eye(d, dtype=bool)
        self.masks = eye if d == 2 else np.vstack([eye, ~eye])
        self.mask_weight = np.full(len(self.masks), mu[0])
        rest = ~edge
        self.exact = not rest.any()
        self.rest_sizes = sizes[rest]
        self.rest_total = (mu * count)[rest].sum()  # M_rest: kernel weight left to sample
        self.rest_prob = (mu * count)[rest] / max(self.rest_total, 1e-300)
        # A_rest = sum over the remaining coalitions of mu z z' = a I + c 11'
        diag = (mu * np.array([comb(d - 1, int(s) - 1) for s in sizes], float))[rest].sum()
        off = (mu * np.array([comb(d - 2, int(s) - 2) if s >= 2 else 0 for s in sizes], float))[
            rest
        ].sum()
        self.rest_diag, self.rest_off = diag, off
        # E over the sampled coalitions of (|S|/D) * (product of r distinct z's), among all
        # D features (e_r) and among the D-1 other than a given one (o_r), r = 0..3,
        # combined into the coefficients of cubic_moment
        share = self.rest_prob * self.rest_sizes / d
        e0, e1, e2, e3 = (share @ _inclusion(self.rest_sizes, d, r) for r in range(4))
        o0, o1, o2, o3 = (share @ _inclusion(self.rest_sizes - 1, d - 1, r) for r in range(4))
        self.cubic_terms = {
            "cube": o0 - 7 * o1 + 12 * o2 - 6 * o3,
            "square": o0 - 5 * o1 + 8 * o2 - 4 * o3,
            "linear": o1 - 2 * o2 + o3,
            "p1^3": o0 - 6 * o1 + 12 * o2 - 8 * o3 - e0 + 6 * e1 - 12 * e2 + 8 * e3,
            "p1p2": 12 * (o1 - 3 * o2 + 2 * o3 - e1 + 3 * e2 - 2 * e3),
            "p3": 8 * (-o1 + 3 * o2 - 2 * o3 + e1 - 3 * e2 + 2 * e3),
        }

    def solve(self, b: np.ndarray, total: np.ndarray, alpha: float) -> np.ndarray:
        """Constrained WLS solution from b (..., D, K) and v(N) - v(empty) (..., K)."""
        centred = b - b.mean(axis=-2, keepdims=True)
        return centred / alpha + total[..., None, :] / self.d

    def rest_times(self, phi: np.ndarray) -> np.ndarray:
        """A_rest @ phi over the feature axis (-2) of phi (..., D, K)."""
        return (self.rest_diag - self.rest_off) * phi + self.rest_off * phi.sum(
            axis=-2, keepdims=True
        )

    def cubic_moment(self, phi0_b: np.ndarray, total_b: np.ndarray) -> np.ndarray:
        """E over the sampled coalitions of u_S^3 (z_S - |S|/D), (B, D, K), in closed form,
        where u_S = z_S . a - c with a = phi0_b (B, D, K) and c = v_b(N) / 2 (B, K).

        For a uniform subset of size s, E[product of r distinct z's] = s^(r) / D^(r)
        (falling factorials). Expanding u^3 = (y - c)^3 with y = z . a, E[z_j u^3] and
        E[u^3] become sums of these moments times the power sums p1, p2, p3 of a over
        the features (E[z_j u^3] over the other features, with a_j added). As the fit
        is efficient, p1 = v_b(N) = 2c, and the difference is a cubic in a_j whose
        coefficients are numbers (self.cubic_terms, from the moments) times p1, p2, p3:
        evaluated here by Horner's rule. The tests check it against enumeration.
        """
        a = phi0_b
        a2 = a * a
        p1, p2 = a.sum(axis=1, keepdims=True), a2.sum(axis=1, keepdims=True)
        p3 = np.sum(a2 * a, axis=1, keepdims=True)
        t = self.cubic_terms
        c2 = -1.5 * t["square"] * p1
        c1 = 0.75 * (t["square"] * p1 * p1 + 4 * t["linear"] * p2)
        c0 = -(t["p1^3"] * p1 * p1 * p1 + t["p1p2"] * p1 * p2 + t["p3"] * p3) / 8
        return ((t["cube"] * a + c2) * a + c1) * a + c0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n coalitions of the non-enumerated sizes, drawn with probability mu(S) / M_rest."""
        sizes = rng.choice(self.rest_sizes, size=n, p=self.rest_prob)
        keys = rng.random((n, self.d))
        # the s smallest of D uniform keys are a uniform subset of size s
        cut = np.take_along_axis(np.sort(keys, axis=1), sizes[:, None] - 1, axis=1)
        return keys <= cut


def _inclusion(sizes: np.ndarray, n: int, r: int) -> np.ndarray:
    """P(r given elements all lie in a uniform subset of each size, out of n): s^(r) / n^(r)."""
    if perm(n, r) == 0:
        return np.zeros(len(sizes))
    return np.array([perm(int(s), r) for s in sizes], float) / perm(n, r)


def _outputs(model: Model, Z: np.ndarray) -> np.ndarray:
    out = np.asarray(model(Z), dtype=float)
    return out[:, None] if out.ndim == 1 else out


def sampled_shapley(
    model: Model,
    X: np.ndarray,
    background: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    tolerance: float = 0.0025,
    round_units: int = 1024,
    max_evals: int | None = None,
    seed: int = 0,
) -> SampledShapley:
    """Shapley values of every output of ``model`` for each row of X, by sampling.

    Per row, units are added (a first round of about ``round_units``, then as
    many as the worst error asks for, never fewer than ``round_units``; always a
    multiple of the background size) until every value's standard error is at most
    ``tolerance`` times its output's largest |value| in that row (floored at a
    tenth of the row's largest, so that an output with near-zero attributions
    does not demand endless units), or until ``max_evals`` model evaluations per
    row (default: half of exact enumeration's 2**D x background) are spent. The
    first round has ``round_units`` units (at least ``MIN_UNITS``) where
    ``max_evals`` allows, and never fewer than two per background row; below
    ``MIN_UNITS`` units it is too small to fit the cubic control variate on, which
    is then left out.
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    background = np.asarray(background, dtype=float)
    n_bg, d = background.shape
    if X.shape[1] != d:
        raise EngineError(f"the background has {d} columns, the rows have {X.shape[1]}")
    if not tolerance > 0:
        raise EngineError(f"the Monte Carlo tolerance must be positive, got {tolerance}")
    w = np.full(n_bg, 1.0 / n_bg) if weights is None else np.asarray(weights, float)
    w = w / w.sum()
    design = KernelDesign(d)
    if max_evals is None:
        max_evals = (2**d * n_bg) // 2 if d < 40 else 10**9
    at_bg = _outputs(model, background)  # v_b(empty) for every row: the same for all
    base = w @ at_bg
    rng = np.random.default_rng(seed)
    rows = [
        _explain_row(model, x, background, w, at_bg, design, tolerance, round_units, max_evals, rng)
        for x in X
    ]
    return SampledShapley(
        values=np.stack([r[0] for r in rows]),
        base=base,
        mc_error=np.stack([r[1] for r in rows]),
        mean_error=np.stack([r[2] for r in rows]),
        n_evals=np.array([r[3] for r in rows]),
        converged=np.array([r[4] for r in rows]),
        exact=design.exact,
    )


def _explain_row(model, x, background, w, at_bg, design, tolerance, round_units, max_evals, rng):
    n_bg, d = background.shape
    masks = design.masks
    hybrids = np.where(masks[:, None, :], x, background[None, :, :]).reshape(-1, d)
    out = _outputs(model, np.vstack([x[None, :], hybrids]))
    at_x, games = out[0], out[1:].reshape(len(masks), n_bg, -1) - at_bg[None]  # v_b(S)
    total_b = at_x[None, :] - at_bg  # (B, K): v_b(N)
    # b over the enumerated coalitions, per background row: (B, D, K)
    weighted_masks = masks.T * design.mask_weight  # (D, E)
    b_edge = np.matmul(weighted_masks, games.transpose(1, 0, 2))
    phi0_b = design.solve(b_edge, total_b, design.alpha_edge)  # additive fit per row
    phi0 = np.tensordot(w, phi0_b, axes=1)
    b_known = np.tensordot(w, b_edge, axes=1) + design.rest_times(phi0)
    total = w @ total_b
    evals = 1 + len(hybrids)
    if design.exact:
        values = design.solve(b_known, total, design.alpha_full)
        zeros = np.zeros_like(values)
        return values, zeros, zeros[:, 0], evals, True
    # A unit's contribution to the estimate is g_k (z_S - |S|/D) M_rest / alpha with
    # g = rho - lambda u^3 (see _units), so its sums and sums of squares over units are
    # matrix products, kept per background row (the strata): (B, D, K), and the squares
    # for g averaged over outputs. lambda u^3's expectation is added back exactly.
    sums = np.zeros((2, n_bg, d, len(at_x)))  # sums of g d and g^2 d^2
    mean_squares = np.zeros((n_bg, d, 1))  # sums of (g's mean over outputs)^2 d^2
    cubic_mean = np.tensordot(w, design.cubic_moment(phi0_b, total_b), axes=1)  # (D, K)
    slope = None
    per_row = 0  # units per background row so far
    m = max(2, -(-max(MIN_UNITS, round_units) // n_bg))  # a stratum's spread needs two
    factor = design.rest_total / design.alpha_full
    while True:
        m = max(2 - per_row, min(m, (max_evals - evals) // (2 * n_bg)))
        rho, cubic, direction = _units(model, x, background, phi0_b, total_b, design, m, rng)
        if slope is None:
            # a slope fitted on a handful of units (a tiny evaluation budget) would also
            # shrink their own spread, and with it the reported error: then none
            enough = n_bg * m >= MIN_UNITS
            slope = _cubic_slope(rho, cubic, direction, w) if enough else np.zeros(len(at_x))
        g = rho - slope * cubic
        g_mean = g.mean(axis=-1, keepdims=True)
        squared = (direction * direction).transpose(0, 2, 1)
        sums[0] += np.matmul(direction.transpose(0, 2, 1), g)
        sums[1] += np.matmul(squared, g * g)
        mean_squares += np.matmul(squared, g_mean * g_mean)
        per_row += m
        evals += 2 * n_bg * m
        mean, se = _stratified(sums[0], sums[1], per_row, w)
        values = design.solve(b_known, total, design.alpha_full) + factor * (
            mean + slope * cubic_mean
        )
        se = factor * se
        scale = np.max(np.abs(values), axis=0)
        scale = np.maximum(scale, 0.1 * scale.max())
        # a row whose attributions are all zero (a constant or saturated model) has
        # nothing left to estimate
        allowed = tolerance * scale
        ratio = np.divide(se, allowed, out=np.zeros_like(se), where=allowed > 0)
        shortfall = float(np.max(ratio))
        if shortfall <= 1 or evals + 2 * n_bg > max_evals:
            # the mean over outputs: its sums of g d are the mean of the outputs' sums
            first = sums[0].mean(axis=-1, keepdims=True)
            mean_se = factor * _stratified(first, mean_squares, per_row, w)[1][:, 0]
            return values, se, mean_se, evals, shortfall <= 1
        # the error falls as 1/sqrt(units): ask for what the worst value still lacks,
        # but never less than a round, nor more than JUMP_ROUNDS rounds at once (the
        # arrays of a round grow with units x outputs x features)
        one_round = -(-round_units // n_bg)  # units per row
        wanted = per_row * (shortfall**2 - 1)  # inf or nan where the model gave nan
        wanted = int(np.ceil(wanted)) if np.isfinite(wanted) else JUMP_ROUNDS * one_round
        m = min(max(one_round, wanted), JUMP_ROUNDS * one_round)


def _units(model, x, background, phi0_b, total_b, design, m, rng):
    """m antithetic units (S, S^c) on every background row: rho (B, m, K), the
    control variate u_S^3 (B, m, K) and z_S - |S|/D (B, m, D).

    With u = (z_S r_b(S) + z_Sc r_b(S^c)) / 2, its centred version (the part that
    survives (I - 11'/D)) is rho (z_S - |S|/D) with rho = (r_b(S) - r_b(S^c)) / 2;
    r_b(S^c) needs no second fit: z_Sc . phi0_b = v_b(N) - z_S . phi0_b.
    """
    n_bg, d = background.shape
    S = design.sample(rng, n_bg * m).reshape(n_bg, m, d)
    bg = background[:, None, :]
    hybrids = np.vstack([np.where(S, x, bg).reshape(-1, d), np.where(S, bg, x).reshape(-1, d)])
    out = _outputs(model, hybrids).reshape(2, n_bg, m, -1)
    # u_S = z_S . phi0_b - v_b(N) / 2: the additive fit's index, odd under S -> S^c
    u = np.matmul(S.astype(float), phi0_b) - total_b[:, None, :] / 2
    rho = (out[0] - out[1]) / 2 - u
    direction = S - S.sum(axis=-1, keepdims=True) / d
    return rho, u * u * u, direction


def _cubic_slope(rho, cubic, direction, w):
    """The control variate's coefficient per output (K,): the least-squares slope of
    rho on u^3, each unit weighted as it enters the variance (w_b^2 |z_S - |S|/D|^2).

    Estimated once, from the first round, then fixed: a regression estimator, whose
    bias (of order 1/units) is far below its standard error."""
    weight = (w[:, None] ** 2) * np.sum(direction**2, axis=-1)  # (B, m)
    cross = np.einsum("bm,bmk,bmk->k", weight, rho, cubic)
    square = np.einsum("bm,bmk->k", weight, cubic**2)
    return np.divide(cross, square, out=np.zeros_like(cross), where=square > 0)


def _stratified(total: np.ndarray, total_sq: np.ndarray, n: int, w: np.ndarray):
    """Mean of the units and its standard error, stratified by background row:
    sums (B, ...) over n units per row, rows weighted by w."""
    mean_b = total / n
    var_b = np.maximum(total_sq / n - mean_b**2, 0.0) * n / (n - 1)
    return np.tensordot(w, mean_b, axes=1), np.sqrt(np.tensordot(w**2, var_b, axes=1) / n)
