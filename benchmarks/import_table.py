"""Time to import a table of 1,000,000 rows × 20 columns, side by side with plain pandas.

    .venv/bin/python benchmarks/import_table.py [--rows N] [--repeat K]

Workbench's import does more than read: it infers and converts types, counts missing
values and hashes the file; the peer column is `pandas.read_csv` with its default
C parser on the same file, which does none of that.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.project import read_table


def make_table(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    columns = {}
    for i in range(12):
        columns[f"x{i}"] = rng.normal(size=rows).round(5)
    for i in range(4):
        columns[f"n{i}"] = rng.integers(0, 1000, size=rows)
    columns["group"] = rng.choice(["north", "south", "east", "west"], size=rows)
    columns["flag"] = rng.choice(["yes", "no"], size=rows)
    columns["day"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000, rows), "D")
    columns["y"] = rng.normal(size=rows).round(5)
    frame = pd.DataFrame(columns)
    frame.loc[frame.sample(frac=0.01, random_state=1).index, "x0"] = np.nan
    frame.to_csv(path, index=False)


def timed(function, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        make_table(path, args.rows)
        size = path.stat().st_size / 1e6
        ours = timed(lambda: read_table(path), args.repeat)
        peer = timed(lambda: pd.read_csv(path), args.repeat)
        dataset = read_table(path)
    print(f"table: {args.rows:,} rows × {len(dataset.columns)} columns, {size:.0f} MB CSV")
    print(f"{'':32} {'median s':>9}")
    print(f"{'workbench read_table (typed)':32} {ours:9.2f}")
    print(f"{'pandas.read_csv (C parser)':32} {peer:9.2f}")
    print(f"ratio pandas / workbench: {peer / ours:.2f}")


if __name__ == "__main__":
    main()
