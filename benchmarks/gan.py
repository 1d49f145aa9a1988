"""GAN speed and time-to-quality on a real table, side by side with CTGAN.

The table is the earnings data (1192 people: earnings, height in inches, male).
Both GANs train on the same 80% of rows; quality is *our* classifier two-sample
test (backends/gan/quality.py) on the same held-out 20%, so the figures compare.

- ms per step: one generator update (with its critic update) at the batch size given;
- time to AUC ≤ 0.7: for ours, the wall time (quality checks included) to the first
  check at or below 0.7; CTGAN cannot resume training, so it is fitted afresh for a
  growing number of epochs and its figure is the training time of the first fit whose
  samples reach 0.7 (the checks are not counted against it).

CTGAN runs in its own venv (benchmarks/.peers/ctgan, `pip install torch==2.13.0 ctgan`)
through a subprocess; without it the comparison is skipped with a note. Both get the
same number of torch threads (--threads).

    .venv/bin/python benchmarks/gan.py [--repeats 3] [--threads 1] [--no-ctgan]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from backends.gan import engine
from backends.gan.encoding import TableEncoder
from backends.gan.quality import c2st_auc
from backends.gan.tabular import split_rows
from backends.gan.templates import gan
from backends.runtime import ColumnTable

DATA = (
    Path(__file__).resolve().parents[2]
    / "shared/datasets/posteriordb/earnings-logearn_height/data.json"
)
CTGAN_PYTHON = Path(__file__).resolve().parent / ".peers" / "ctgan" / "bin" / "python"
COLUMNS = ["earn", "height", "male"]
TYPES = {"earn": "numeric", "height": "integer", "male": "boolean"}
CTGAN_SCRIPT = """
import sys, time, pandas as pd, torch
from ctgan import CTGAN
torch.set_num_threads(int(sys.argv[4]))
train = pd.read_csv(sys.argv[1])
model = CTGAN(epochs=int(sys.argv[3]))
start = time.perf_counter()
model.fit(train, discrete_columns=["male"])
seconds = time.perf_counter() - start
model.sample(int(sys.argv[5])).to_csv(sys.argv[2], index=False)
print(seconds)
"""


def load_table() -> ColumnTable:
    raw = json.loads(DATA.read_text())
    return ColumnTable({c: np.asarray(raw[c], dtype=np.float64) for c in COLUMNS}, TYPES)


def ours_step_ms(table: ColumnTable, device: str, batch: int, threads: int) -> float:
    settings = {
        "steps": 300,
        "batch_size": batch,
        "quality_every": 10**6,
        "patience": 0,
        "typicality_steps": 1,
        "cpu_threads": threads,
    }
    result = engine.run(gan(table, inputs=COLUMNS), table, settings, device=device, seed=0)
    return 1000 * result.info["seconds"] / result.info["steps_run"]


def ours_time_to_quality(table: ColumnTable, device: str, threads: int, seed: int) -> dict:
    settings = {
        "steps": 5000,
        "batch_size": 500,
        "quality_every": 25,
        "patience": 0,
        "target_auc": 0.7,
        "cpu_threads": threads,
        "typicality_steps": 1,
    }
    result = engine.run(gan(table, inputs=COLUMNS), table, settings, device=device, seed=seed)
    hit = next((h for h in result.info["history"] if h["c2st_auc"] <= 0.7), None)
    return {
        "seconds": hit["seconds"] if hit else None,
        "step": hit["step"] if hit else None,
        "best_auc": result.info["quality"]["c2st_auc"],
    }


def ctgan_fit(
    train: dict, hold_matrix: np.ndarray, encoder: TableEncoder, epochs: int, threads: int
) -> tuple[float, float]:
    """(training seconds, two-sample AUC of CTGAN's samples on the held-out rows)."""
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        train_csv, out_csv = Path(tmp) / "train.csv", Path(tmp) / "out.csv"
        frame = pd.DataFrame(train)
        frame["male"] = frame["male"].astype(int).astype(str)
        frame.to_csv(train_csv, index=False)
        done = subprocess.run(
            [
                str(CTGAN_PYTHON),
                "-c",
                CTGAN_SCRIPT,
                str(train_csv),
                str(out_csv),
                str(epochs),
                str(threads),
                str(len(hold_matrix)),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = float(done.stdout.strip().splitlines()[-1])
        fake = pd.read_csv(out_csv)
    columns = {c: fake[c].to_numpy(dtype=np.float64) for c in COLUMNS}
    return seconds, c2st_auc(hold_matrix, encoder.encode(columns, 1), seed=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-ctgan", action="store_true")
    args = parser.parse_args()
    table = load_table()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"earnings: {table.n_rows} rows; torch {torch.__version__}; threads {args.threads}")
    for device in devices:
        for batch in (500, 512):
            times = [ours_step_ms(table, device, batch, args.threads) for _ in range(args.repeats)]
            print(
                f"ours  {device:4s} batch {batch}: {statistics.median(times):.2f} ms/step "
                f"(median of {args.repeats})"
            )
        runs = [
            ours_time_to_quality(table, device, args.threads, seed) for seed in range(args.repeats)
        ]
        hits = [r["seconds"] for r in runs if r["seconds"] is not None]
        print(
            f"ours  {device:4s} time to AUC<=0.7: "
            + (
                f"{statistics.median(hits):.1f} s (median; reached in {len(hits)}/"
                f"{len(runs)} runs; steps {[r['step'] for r in runs]})"
                if hits
                else f"not reached in 5000 steps (best AUCs {[r['best_auc'] for r in runs]})"
            )
        )
    if args.no_ctgan or not CTGAN_PYTHON.exists():
        print(
            f"CTGAN: skipped (no venv at {CTGAN_PYTHON.parents[1]})"
            if not args.no_ctgan
            else "CTGAN: skipped (--no-ctgan)"
        )
        return
    train_rows, hold_rows = split_rows(table.n_rows, 0.2, 2000, 500, 0)
    train = {c: table[c][train_rows] for c in COLUMNS}
    hold = {c: table[c][hold_rows] for c in COLUMNS}
    encoder = TableEncoder.fit(ColumnTable(train, TYPES), COLUMNS, 0)
    hold_matrix = encoder.encode(hold, 1)
    steps_per_epoch = max(len(train_rows) // 500, 1)
    for epochs in (10, 30, 100, 300):
        fits = [
            ctgan_fit(train, hold_matrix, encoder, epochs, args.threads)
            for _ in range(args.repeats)
        ]
        seconds = statistics.median(f[0] for f in fits)
        auc = statistics.median(f[1] for f in fits)
        print(
            f"CTGAN cpu  {epochs:3d} epochs: {seconds:.1f} s, "
            f"{1000 * seconds / (epochs * steps_per_epoch):.2f} ms/step, AUC {auc:.3f}"
        )
        if auc <= 0.7:
            print(f"CTGAN cpu  time to AUC<=0.7: {seconds:.1f} s ({epochs} epochs)")
            return
    print("CTGAN cpu  time to AUC<=0.7: not reached in 300 epochs")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"benchmark took {time.perf_counter() - start:.0f} s")
