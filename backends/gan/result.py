"""A fitted tabular GAN: sampling, latent-space tools, typicality, and the result interface.

The result owns plain arrays (weights, encodings) and rebuilds small CPU networks
on demand, so it can be saved, reloaded and used in any thread. All sampling is
driven by numpy seeds on the CPU: the same seed gives the same rows before and
after a save and load.

Predictions (the result interface of every engine):
- conditional GAN: ``target`` is a generated column and ``input_names`` the
  condition columns; ``predict`` gives the mean and interval of the target over
  many generated draws given the conditions (a categorical target is reported as the
  probability of ``target_level``);
- unconditional GAN: ``target`` is "typicality" and ``input_names`` the generated
  columns; ``predict`` returns the critic's typicality score of each row (0 for a
  median held-out real row, in units of the real rows' spread; lower is less
  typical). A GAN is a point estimate: draws of the mean carry no parameter
  uncertainty, so ``sample_mean`` repeats one value per row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from backends.gan.encoding import TableEncoder
from backends.gan.latent import arithmetic, endpoint, latents, slerp
from backends.gan.networks import TabularCritic, TabularGenerator
from backends.gan.spec import GanSpec
from backends.gan.typicality import TypicalityCritic
from backends.gan.weights import from_bytes, load_into, to_bytes
from backends.runtime import EngineError, ResultState

FORMAT = 1
GOOD_AUC = 0.7  # a run whose held-out two-sample AUC is at most this counts as converged
CHUNK = 65_536
# what every GAN result's summary repeats from its training run
RUN_INFO_KEYS = (
    "best_step",
    "steps_run",
    "stop_reason",
    "seconds",
    "device",
    "seed",
    "settings",
    "history",
)


class TabularGanResult:
    engine = "gan"
    level = 0.9

    def __init__(
        self,
        spec: GanSpec,
        encoder: TableEncoder,
        cond_encoder: TableEncoder | None,
        generator_state: dict[str, np.ndarray],
        critic_state: dict[str, np.ndarray],
        info: dict[str, Any],
        reference_scores: np.ndarray,
        condition_pool: np.ndarray | None,
    ) -> None:
        self.spec = spec
        self.encoder = encoder
        self.cond_encoder = cond_encoder
        self.generator_state = generator_state
        self.critic_state = critic_state
        self.info = info  # quality, history, warnings, steps, settings: all JSON
        self.reference_scores = np.sort(np.asarray(reference_scores, dtype=np.float64))
        self.condition_pool = condition_pool
        self._gen: TabularGenerator | None = None
        self._critic: TypicalityCritic | None = None
        self.target = spec.target if spec.conditional else "typicality"
        self.input_names = list(spec.conditions) if spec.conditional else list(spec.columns)
        self.row_names = list(spec.conditions) + list(spec.columns)
        self.target_level = info.get("target_level")

    # ------------------------------------------------------------- networks
    def generator(self) -> TabularGenerator:
        if self._gen is None:
            cond = self.cond_encoder.width if self.cond_encoder else 0
            gen = TabularGenerator(
                self.spec.latent_size,
                cond,
                self.spec.hidden,
                self.encoder.width,
                self.encoder.discrete_spans(),
            )
            self._gen = load_into(gen, self.generator_state, "generator")
        return self._gen

    def critic(self) -> TypicalityCritic:
        """The critic fine-tuned to score log-density up to a constant (typicality.py)."""
        if self._critic is None:
            cond = self.cond_encoder.width if self.cond_encoder else 0
            critic = TabularCritic(
                self.encoder.width, cond, self.spec.critic_hidden, self.spec.objective == "ns-sn"
            )
            typical = TypicalityCritic(critic, self.encoder.continuous_index())
            self._critic = load_into(typical, self.critic_state, "critic")
        return self._critic

    # ------------------------------------------------------------- sampling
    def latents(self, n: int, seed: int = 0) -> np.ndarray:
        """The latent vectors behind ``sample(n, seed)``, row for row."""
        return latents(n, seed, self.spec.latent_size)

    def sample(
        self, n: int, seed: int = 0, conditions: dict[str, Any] | None = None
    ) -> dict[str, np.ndarray]:
        """n generated rows as a table (condition columns included for a conditional GAN)."""
        if n < 1:
            raise EngineError("the number of rows to sample must be at least 1")
        return self.generate(self.latents(n, seed), conditions, seed)

    def generate(
        self, z: np.ndarray, conditions: dict[str, Any] | None = None, seed: int = 0
    ) -> dict[str, np.ndarray]:
        """Rows generated from given latent vectors (shape (n, latent_size))."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float32))
        if z.shape[1] != self.spec.latent_size:
            raise EngineError(f"latent vectors must have {self.spec.latent_size} entries")
        n = len(z)
        cond_cols = self._conditions(n, conditions, np.random.default_rng([seed, 2]))
        u = np.random.default_rng([seed, 1]).random((n, self.encoder.width), dtype=np.float32)
        cond = self.cond_encoder.encode(cond_cols, randomise=False) if self.cond_encoder else None
        return {**cond_cols, **self.encoder.decode(self._run_generator(z, cond, u))}

    def interpolate(
        self,
        a: int | np.ndarray,
        b: int | np.ndarray,
        steps: int = 9,
        conditions: dict[str, Any] | None = None,
    ) -> dict[str, np.ndarray]:
        """Rows along the great circle between two latents (or the first rows of two
        seeds' samples); column "t" runs from 0 (a) to 1 (b)."""
        size = self.spec.latent_size
        t, z = slerp(endpoint(a, size), endpoint(b, size), steps)
        return {"t": t, **self.generate(z, conditions)}

    def latent_direction(self, column: str, value: Any, n: int = 2000, seed: int = 0) -> np.ndarray:
        """A "semantic" direction: mean latent of generated rows where ``column`` equals
        ``value`` (discrete) or exceeds it (continuous), minus the mean of the others."""
        if column not in self.spec.columns:
            raise EngineError(f"{column!r} is not a generated column")
        z = self.latents(n, seed)
        values = self.generate(z, seed=seed)[column]
        code = self.encoder.codes[self.encoder.names.index(column)]
        mask = (
            values.astype(str) == str(value)
            if code.type == "categorical"
            else (values == float(value) if code.discrete else values > float(value))
        )
        if mask.all() or not mask.any():
            raise EngineError(
                f"no contrast: {mask.mean():.0%} of generated rows match {column} = {value!r}"
            )
        return z[mask].mean(axis=0) - z[~mask].mean(axis=0)

    def latent_arithmetic(
        self, a: np.ndarray, b: np.ndarray, c: np.ndarray, conditions: dict[str, Any] | None = None
    ) -> dict[str, np.ndarray]:
        """The row generated from mean(a) − mean(b) + mean(c) (each an array of latents),
        as in the DCGAN paper's "smiling woman − woman + man"."""
        return self.generate(arithmetic(a, b, c), conditions)

    # ----------------------------------------------------------- typicality
    def critic_score(self, rows: dict[str, Any] | np.ndarray) -> np.ndarray:
        """How typical each row is: the critic's log-density estimate relative to held-out
        real rows (0 for a median real row, in units of their spread; negative is less
        typical).
        ``rows`` is a table (dict of columns) or a float64 matrix over ``row_names``
        (categorical columns as level indices)."""
        raw = self._critic_raw(rows)
        median = float(np.median(self.reference_scores))
        spread = float(np.std(self.reference_scores)) or 1.0
        return (raw - median) / spread

    def typicality(self, rows: dict[str, Any] | np.ndarray) -> np.ndarray:
        """Share of held-out real rows that the critic finds less typical than each row."""
        raw = self._critic_raw(rows)
        return np.searchsorted(self.reference_scores, raw) / len(self.reference_scores)

    def _critic_raw(self, rows: dict[str, Any] | np.ndarray) -> np.ndarray:
        if not isinstance(rows, dict):
            rows = self._columns_from_numeric(rows, self.row_names)
        missing = [c for c in self.row_names if c not in rows]
        if missing:
            raise EngineError(f"rows lack the columns {', '.join(missing)}")
        x = self.encoder.encode(rows, randomise=False)
        cond = self.cond_encoder.encode(rows, randomise=False) if self.cond_encoder else None
        scores = []
        with torch.no_grad():
            for i in range(0, len(x), CHUNK):
                c = None if cond is None else torch.from_numpy(cond[i : i + CHUNK])
                scores.append(self.critic()(torch.from_numpy(x[i : i + CHUNK]), c).numpy())
        return np.concatenate(scores).astype(np.float64) + self.encoder.log_jacobian(rows, x)

    # ------------------------------------------------------ result interface
    def predict(self, X: np.ndarray, level: float = 0.9) -> tuple[np.ndarray, ...]:
        if not self.spec.conditional:
            s = self.critic_score(np.asarray(X, dtype=np.float64))
            return s, s.copy(), s.copy()
        draws = self.sample_predict(X, 500, seed=0)
        lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
        return draws.mean(axis=0), lo, hi

    def sample_predict(self, X: np.ndarray, n_draws: int, seed: int = 0) -> np.ndarray:
        if not self.spec.conditional:
            return np.tile(self.critic_score(np.asarray(X, dtype=np.float64)), (n_draws, 1))
        return self._target_draws(X, n_draws, seed)

    def sample_mean(self, X: np.ndarray, n_draws: int, seed: int = 0) -> np.ndarray:
        if not self.spec.conditional:
            return self.sample_predict(X, n_draws, seed)
        return np.tile(self._target_draws(X, 256, seed).mean(axis=0), (n_draws, 1))

    def _target_draws(self, X: np.ndarray, n_draws: int, seed: int) -> np.ndarray:
        """(n_draws, n) generated target values; draw d uses the same latent for every
        row (common random numbers), so differences between rows are not noise."""
        cond_cols = self._columns_from_numeric(X, self.input_names)
        cond = self.cond_encoder.encode(cond_cols, randomise=False)
        n = len(cond)
        rng = np.random.default_rng([seed, 3])
        z = rng.standard_normal((n_draws, self.spec.latent_size)).astype(np.float32)
        u = rng.random((n_draws, self.encoder.width), dtype=np.float32)
        code = self.encoder.codes[self.encoder.names.index(self.target)]
        out = np.empty((n_draws, n))
        per_block = max(1, CHUNK // max(n, 1))
        for d in range(0, n_draws, per_block):
            k = min(per_block, n_draws - d)
            enc = self._run_generator(
                np.repeat(z[d : d + k], n, axis=0),
                np.tile(cond, (k, 1)),
                np.repeat(u[d : d + k], n, axis=0),
            )
            values = self.encoder.decode(enc)[self.target]
            if code.type == "categorical":
                values = (values == self.target_level).astype(np.float64)
            out[d : d + k] = np.asarray(values, dtype=np.float64).reshape(k, n)
        return out

    def summary(self) -> dict[str, Any]:
        quality = self.info["quality"]
        auc = quality.get("c2st_auc")
        return {
            "engine": "gan",
            "kind": "table",
            "generator": self.spec.node_name,
            "columns": list(self.spec.columns),
            "conditions": list(self.spec.conditions),
            "target": self.target,
            "target_level": self.target_level,
            # the categories it learnt, in code order: a table's rows are coded with these
            # (backends.design), so a level it never saw is unknown, not a shifted code
            "levels": self._category_levels(),
            "objective": self.spec.objective,
            "metrics": {
                k: quality.get(k) for k in ("c2st_auc", "max_ks", "max_tv", "correlation_gap")
            },
            "quality": quality,
            "converged": auc is not None and auc <= GOOD_AUC,
            "warnings": list(self.info.get("warnings", [])),
            **{k: self.info.get(k) for k in RUN_INFO_KEYS},
        }

    def to_state(self) -> ResultState:
        arrays = {"reference_scores": self.reference_scores}
        if self.condition_pool is not None:
            arrays["condition_pool"] = self.condition_pool
        return ResultState(
            meta={
                "format": FORMAT,
                "engine": "gan",
                "kind": "table",
                "spec": self.spec.to_dict(),
                "encoder": self.encoder.to_meta(),
                "cond_encoder": self.cond_encoder.to_meta() if self.cond_encoder else None,
                "info": self.info,
            },
            arrays=arrays,
            blobs={
                "generator": to_bytes(self.generator_state),
                "critic": to_bytes(self.critic_state),
            },
        )

    @classmethod
    def from_state(cls, state: ResultState) -> TabularGanResult:
        meta = state.meta
        try:
            cond = meta["cond_encoder"]
            return cls(
                GanSpec.from_dict(meta["spec"]),
                TableEncoder.from_meta(meta["encoder"]),
                TableEncoder.from_meta(cond) if cond else None,
                from_bytes(state.blobs["generator"], "generator"),
                from_bytes(state.blobs["critic"], "critic"),
                meta["info"],
                state.arrays["reference_scores"],
                state.arrays.get("condition_pool"),
            )
        except KeyError as exc:
            raise EngineError(f"the saved GAN result lacks {exc}") from exc

    # -------------------------------------------------------------- helpers
    def _run_generator(self, z: np.ndarray, cond: np.ndarray | None, u: np.ndarray) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(z), CHUNK):
                c = None if cond is None else torch.from_numpy(cond[i : i + CHUNK])
                out.append(
                    self.generator()(
                        torch.from_numpy(z[i : i + CHUNK]),
                        c,
                        torch.from_numpy(u[i : i + CHUNK]),
                        hard=True,
                    ).numpy()
                )
        return np.concatenate(out)

    def _conditions(
        self, n: int, given: dict[str, Any] | None, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        if not self.spec.conditional:
            if given:
                raise EngineError("this GAN is not conditional; it takes no conditions")
            return {}
        if given is None:  # draw condition rows as they occur in the training data
            pool = self.condition_pool
            return self.cond_encoder.columns_from_numeric(pool[rng.integers(len(pool), size=n)])
        missing = [c for c in self.spec.conditions if c not in given]
        if missing:
            raise EngineError(f"conditions lack the columns {', '.join(missing)}")
        out = {}
        for name in self.spec.conditions:
            value = np.asarray(given[name])
            if value.ndim == 0:
                kind = object if value.dtype.kind in "UO" else np.float64
                value = np.full(n, value.item(), dtype=kind)
            elif len(value) != n:
                raise EngineError(f"condition {name!r} has {len(value)} values for {n} rows")
            out[name] = value
        return out

    def _category_levels(self) -> dict[str, list[str]]:
        codes = list(self.encoder.codes) + list(
            self.cond_encoder.codes if self.cond_encoder else []
        )
        return {c.name: list(c.levels) for c in codes if c.type == "categorical"}

    def _columns_from_numeric(self, X: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(names):
            raise EngineError(
                f"X must have {len(names)} columns ({', '.join(names)}), not shape {X.shape}"
            )
        codes = {c.name: c for c in self.encoder.codes}
        if self.cond_encoder:
            codes.update({c.name: c for c in self.cond_encoder.codes})
        return TableEncoder([codes[n] for n in names]).columns_from_numeric(X)
