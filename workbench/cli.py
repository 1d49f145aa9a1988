"""The ``workbench`` command: open the window, or work on a project headless.

Exit codes: 0 ok; 2 bad input (one line on stderr, no traceback); 1 an internal
error (a defect of ours: the traceback is printed so it can be reported);
130 a run stopped with Ctrl-C. See docs/cli.md.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from backends.graph.model import Graph, GraphError
from backends.graph.validate import errors_of
from backends.runtime import CancelToken, EngineError, Progress, RunCancelled
from backends.templates import available_templates, make_template
from workbench import __version__
from workbench.project import (
    DataError,
    Project,
    ProjectFileError,
    load_project,
    read_table,
    save_project,
)
from workbench.project.checks import model_errors, model_problems
from workbench.report.errors import ReportError
from workbench.text import count

SUBCOMMANDS = (
    "open",
    "new",
    "validate",
    "info",
    "run",
    "summary",
    "predict",
    "sample",
    "explain",
    "report",
)
# OSError: a path the user gave cannot be written or read (a folder, no permission)
BAD_INPUT = (OSError, DataError, ProjectFileError, EngineError, GraphError, ReportError)


class UsageError(ValueError):
    """The command line itself is wrong (exit code 2)."""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and not argv[0].startswith("-")):
        argv = ["open", *argv]  # `workbench [PROJECT]` opens the window
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except BrokenPipeError as exc:
        if not _stdout_closed():  # another pipe broke: a real error
            print(f"workbench {args.command}: {exc}", file=sys.stderr)
            return 2
        # the reader stopped early (`| head`): nothing to tell the user; point stdout at
        # devnull so that Python's exit flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except BAD_INPUT + (UsageError,) as exc:
        print(f"workbench {args.command}: {exc}", file=sys.stderr)
        return 2


def _stdout_closed() -> bool:
    """Whether nobody reads our standard output any more: the write end of a pipe whose
    reader has gone reports an error when polled."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
    except (OSError, ValueError, AttributeError):  # no descriptor, or no poll()
        return False
    return any(event & select.POLLERR for _, event in poller.poll(0))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Draw a probabilistic model, fit it, and explain it. "
        "Without a subcommand, opens the window (on PROJECT if given).",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("open", help="open the window (the default)")
    p.add_argument("project", nargs="?", type=Path)
    p.set_defaults(handler=cmd_open)

    p = sub.add_parser("new", help="create a project from a table (and a template or graph)")
    p.add_argument("out", type=Path, help="the .wbproj file to write")
    p.add_argument("--data", type=Path, required=True, help="CSV, TSV, Parquet or .xlsx table")
    p.add_argument("--template", help=f"one of: {', '.join(available_templates())}")
    p.add_argument("--target", help="the column the model explains")
    p.add_argument("--inputs", default="", help="comma-separated input columns")
    p.add_argument("--group", help="a grouping column (hierarchical templates)")
    p.add_argument("--graph", type=Path, help="a model graph written as JSON (docs/file-format.md)")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(handler=cmd_new)

    p = sub.add_parser("validate", help="check the model; exit 0 when valid")
    p.add_argument("project", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("info", help="table, model and runs of a project")
    p.add_argument("project", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_info)

    p = sub.add_parser("run", help="fit the model and store the run in the project")
    p.add_argument("project", type=Path)
    p.add_argument("--engine", choices=("mcmc", "gp", "gan"))
    p.add_argument("--device", default=None, help="auto, cpu or cuda (default: the project's)")
    p.add_argument("--seed", type=int)
    p.add_argument("--quick", action="store_true", help="small settings for a first look")
    p.add_argument(
        "--holdout",
        type=float,
        metavar="SHARE",
        help="share of rows left out of the fit to check the intervals on, e.g. 0.2 "
        "(default: the project's setting, 0 unless set)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an engine setting, e.g. --set steps=2000 (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="print the run's summary as JSON")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("summary", help="the results of the latest (or a given) run")
    p.add_argument("project", type=Path)
    p.add_argument("--run", help="a run id (default: the latest finished run)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_summary)

    p = sub.add_parser("predict", help="predictions with intervals for the rows of a table")
    p.add_argument("project", type=Path)
    p.add_argument("--data", type=Path, required=True, help="rows to predict (the inputs' columns)")
    p.add_argument("-o", "--out", type=Path, help="CSV to write (default: standard output)")
    p.add_argument("--level", type=float, default=0.9, help="interval probability (default 0.9)")
    p.add_argument("--run", help="a run id (default: the latest finished run)")
    p.set_defaults(handler=cmd_predict)

    p = sub.add_parser("sample", help="draw rows from a fitted generator (GAN) to a CSV")
    p.add_argument("project", type=Path)
    p.add_argument("-n", type=int, required=True, help="how many rows")
    p.add_argument("-o", "--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run", help="a run id (default: the latest finished GAN run)")
    p.set_defaults(handler=cmd_sample)

    p = sub.add_parser("explain", help="why the model predicts what it does for one row")
    p.add_argument("project", type=Path)
    p.add_argument("--row", type=int, required=True, help="the row, numbered from 1")
    p.add_argument("--level", type=float, default=0.9)
    p.add_argument("--run", help="a run id (default: the latest finished run)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_explain)

    p = sub.add_parser("report", help="export an explanation report (HTML or PDF)")
    p.add_argument("project", type=Path)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--row", type=int, help="the decision to explain: a row, numbered from 1")
    which.add_argument("--model", action="store_true", help="a model report (no person)")
    p.add_argument("-o", "--out", type=Path, required=True, help="OUT.html or OUT.pdf")
    p.add_argument("--level", type=float, default=0.9)
    p.add_argument("--run", help="a run id (default: the latest finished run)")
    p.set_defaults(handler=cmd_report)
    return parser


# ------------------------------------------------------------------ commands
def cmd_open(args: argparse.Namespace) -> int:
    from workbench.ui.app import run_app  # Qt is imported only when a window is wanted

    return run_app(args.project)


def cmd_new(args: argparse.Namespace) -> int:
    if args.out.exists() and not args.force:
        raise UsageError(f"{args.out} exists; pass --force to overwrite it")
    if args.template and args.graph:
        raise UsageError("give either --template or --graph, not both")
    dataset = read_table(args.data)
    project = Project(dataset)
    inputs = [c.strip() for c in args.inputs.split(",") if c.strip()]
    if args.template:
        project.set_graph(
            make_template(
                args.template,
                dataset.column_table(),
                target=args.target,
                inputs=inputs,
                group=args.group,
            )
        )
    elif args.graph:
        project.set_graph(_read_graph_json(args.graph))
    save_project(project, args.out)
    errors = model_errors(project)
    note = f"; the model has {len(errors)} problem(s): run `workbench validate`" if errors else ""
    rows, nodes = count(dataset.n_rows, "row"), count(len(project.graph.nodes), "node")
    print(f"wrote {args.out} ({rows}, {nodes}){note}")
    return 0


def _read_graph_json(path: Path) -> Graph:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: a graph is a JSON object with nodes, edges and plates")
    return Graph.from_dict(raw.get("graph", raw))


def cmd_validate(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    problems = model_problems(project)
    errors = errors_of(problems)
    if args.json:
        print(
            json.dumps(
                {
                    "valid": not errors,
                    "problems": [
                        {
                            "node": p.node,
                            "name": _item_name(project, p.node),
                            "field": p.field,
                            "severity": p.severity,
                            "message": p.message,
                        }
                        for p in problems
                    ],
                },
                indent=2,
            )
        )
    else:
        for problem in problems:
            print(f"{problem.severity}: {problem.describe(project.graph)}", file=sys.stderr)
        if not errors:
            nodes = count(len(project.graph.nodes), "node")
            print(f"{args.project.name}: the model is valid ({nodes})")
    return 0 if not errors else 2


def _item_name(project: Project, item_id: str | None) -> str | None:
    item = project.graph.nodes.get(item_id or "") or project.graph.plates.get(item_id or "")
    return item.name if item else None


def cmd_info(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    info = project_info(project)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    table = info["table"]
    if table:
        print(
            f"table: {table['source']['name']}  "
            f"{table['rows']} rows × {len(table['columns'])} columns"
        )
        for col in table["columns"]:
            print(f"  {col['name']:<24} {col['type']:<12} missing {col['missing']}")
    else:
        print("table: none")
    model = info["model"]
    print(
        f"model: {len(model['nodes'])} nodes, {model['edges']} edges, {len(model['plates'])} plates"
        f"; suggested engine: {model['suggested_engine']}"
    )
    for node in model["nodes"]:
        print(f"  {node['name']:<24} {node['kind']:<14} {node.get('distribution') or ''}")
    print(f"runs: {len(info['runs'])}")
    for run in info["runs"]:
        print(f"  {run['id'][:8]}  {run['engine']:<5} {run['status']:<10} {run['finished']}")
    return 0


def project_info(project: Project) -> dict[str, Any]:
    from backends.engines import suggest_engine

    table = None
    if project.dataset is not None:
        ds = project.dataset
        missing = ds.missing_counts()
        table = {
            "rows": ds.n_rows,
            "columns": [
                {"name": c, "type": ds.types[c], "missing": missing[c]} for c in ds.columns
            ],
            "source": ds.source.to_dict(),
        }
    graph = project.graph
    return {
        "path": str(project.path) if project.path else None,
        "table": table,
        "model": {
            "nodes": [
                {
                    "id": n.id,
                    "name": n.name,
                    "kind": n.kind,
                    "distribution": n.distribution,
                    "columns": n.columns,
                }
                for n in graph.nodes.values()
            ],
            "edges": len(graph.edges),
            "plates": [{"id": p.id, "name": p.name, "over": p.over} for p in graph.plates.values()],
            "suggested_engine": suggest_engine(graph),
        },
        "runs": [
            {
                "id": r.id,
                "engine": r.engine,
                "status": r.status,
                "seed": r.seed,
                "device": r.device,
                "started": r.started,
                "finished": r.finished,
                "message": r.message,
            }
            for r in project.runs
        ],
        "reports": len(project.reports),
    }


def cmd_run(args: argparse.Namespace) -> int:
    from workbench.runner import execute_plan, prepare_run

    project = load_project(args.project)
    plan = prepare_run(
        project,
        engine=args.engine,
        device=args.device,
        seed=args.seed,
        quick=args.quick,
        overrides=_parse_settings(args.set),
        holdout=args.holdout,
    )
    cancel = CancelToken()
    printer = ProgressPrinter()
    print(f"running {plan.engine} on {plan.device} (seed {plan.seed})", file=sys.stderr)
    try:
        record = execute_plan(plan, printer, cancel)
    except KeyboardInterrupt:
        cancel.cancel()
        print("\nstopped; the project is unchanged", file=sys.stderr)
        return 130
    except RunCancelled:
        print("stopped; the project is unchanged", file=sys.stderr)
        return 130
    printer.finish()
    project.add_run(record)
    save_project(project, args.project)
    if args.json:
        held = {"holdout_rows": len(record.holdout_rows)}
        print(json.dumps({"run": record.id, **held, **record.summary}, indent=2))
    else:
        print(f"run {record.id[:8]} stored in {args.project.name} ({record.message})")
        print(format_summary(record.summary))
    return 0


def _parse_settings(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--set expects NAME=VALUE, got {pair!r}")
        out[name.strip()] = value.strip()
    return out


class ProgressPrinter:
    """Progress on stderr: one line redrawn 4 times a second on a terminal, else a
    plain line every 5 seconds (so that logs of batch runs stay readable)."""

    def __init__(self) -> None:
        self._tty = sys.stderr.isatty()
        self._interval = 0.25 if self._tty else 5.0
        self._last = time.monotonic()
        self._shown = False

    def __call__(self, record: Progress) -> None:
        now = time.monotonic()
        if now - self._last < self._interval:
            return
        self._last = now
        total = f"/{record.total}" if record.total else ""
        text = f"  step {record.step}{total}  {record.message[:60]}"
        if self._tty:
            print(f"\r{text:<80}", end="", file=sys.stderr, flush=True)
            self._shown = True
        else:
            print(text, file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self._shown:
            print(file=sys.stderr)


def cmd_summary(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    record = _chosen_run(project, args.run, args.project)
    if args.json:
        print(json.dumps(record.summary, indent=2))
    else:
        print(f"run {record.id[:8]}  {record.engine}  {record.finished}  seed {record.seed}")
        print(format_summary(record.summary))
    return 0


def _chosen_run(project: Project, run_id: str | None, name: Path, engine: str | None = None):  # noqa: ANN202
    if run_id:
        try:
            record = project.run_by_id(run_id)
        except KeyError as exc:
            raise UsageError(exc.args[0]) from exc
        if record.status != "finished" or record.state is None:
            raise UsageError(f"run {run_id} {record.status} and holds no result: {record.message}")
        return record
    record = project.latest_run(engine)
    if record is None:
        what = f"finished {engine.upper()} run" if engine else "finished run"
        raise UsageError(f"{name.name} holds no {what}; use `workbench run` first")
    return record


def cmd_predict(args: argparse.Namespace) -> int:
    from backends.design import design_matrix

    if not 0 < args.level < 1:
        raise UsageError(f"--level must lie between 0 and 1, got {args.level}")
    project = load_project(args.project)
    record = _chosen_run(project, args.run, args.project)
    result = record.result()
    dataset = read_table(args.data)
    design = design_matrix(result, dataset.column_table())
    frame = dataset.frame.copy()
    mean = np.full(len(frame), np.nan)
    lower, upper = mean.copy(), mean.copy()
    rows = np.flatnonzero(design.complete)
    if len(rows):
        mean[rows], lower[rows], upper[rows] = result.predict(design.X[rows], args.level)
    frame[f"{result.target}_mean"] = mean
    frame[f"{result.target}_lower"] = lower
    frame[f"{result.target}_upper"] = upper
    frame.to_csv(args.out if args.out else sys.stdout, index=False)
    if len(rows) < len(frame):
        print(design.not_predicted(), file=sys.stderr)
    if args.out:
        print(f"wrote {len(rows)} predictions ({args.level:.0%} intervals) to {args.out}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    import pandas as pd

    if args.n < 1:
        raise UsageError(f"-n must be at least 1, got {args.n}")
    project = load_project(args.project)
    record = _chosen_run(project, args.run, args.project, engine="gan")
    if record.engine != "gan":
        raise UsageError(f"run {record.id[:8]} is a {record.engine} run; sampling needs a GAN run")
    frame = pd.DataFrame(record.result().sample(args.n, seed=args.seed))
    types = project.dataset.types if project.dataset is not None else {}
    for column in frame.columns:  # write whole numbers as the table holds them
        if types.get(column) in ("integer", "boolean"):
            frame[column] = frame[column].round().astype("Int64")
    frame.to_csv(args.out, index=False)
    print(f"wrote {args.n} generated rows to {args.out}")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from backends.explain.record import has_ranges
    from workbench.report import explain_row_json
    from workbench.report.provenance import caveats

    project = load_project(args.project)
    record = explain_row_json(project, args.row, run_id=args.run, level=args.level)
    if args.json:
        print(json.dumps(record, indent=2))
        return 0
    prediction = record["prediction"]
    # a model without a posterior (a GAN's critic) has nothing to put in an interval
    point = prediction["lower"] == prediction["upper"]
    interval = (
        ""
        if point
        else f" ({prediction['level']:.0%} interval "
        f"{prediction['lower']:.4g} to {prediction['upper']:.4g})"
    )
    print(
        f"row {record['row']}: {prediction['mean']:.4g}{interval};"
        f" average prediction {record['base_value']:.4g}"
    )
    # a GP whose draws are not consistent across calls explains its predictive mean:
    # the prediction has an interval, the attributions have none
    bounded = has_ranges(record)
    spread = (
        f"{prediction['level']:.0%} intervals"
        if bounded
        else "no posterior, no intervals"
        if point
        else "no intervals"
    )
    print(f"attributions ({record['method']}, {record['scale']} scale, {spread}):")
    ranked = sorted(record["attributions"].items(), key=lambda kv: -abs(kv[1]["value"]))
    for feature, a in ranked:
        bounds = f"  ({a['lower']:+.4g} to {a['upper']:+.4g})" if bounded else ""
        sampling = f"  ± {a['mc_error']:.2g} sampling error" if a.get("mc_error") else ""
        print(f"  {feature:<24} {a['value']:<+10.4g}{bounds}{sampling}")
    for option in record.get("counterfactuals") or []:
        changes = ", ".join(
            f"{k} from {v['from']:.4g} to {v['to']:.4g}" for k, v in option["changes"].items()
        )
        print(f"  would change the decision: {changes} (probability {option['probability']:.0%})")
    for note in [*(record.get("notes") or []), *caveats(record)]:
        print(f"  note: {note}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from workbench.report import export_report

    project = load_project(args.project)
    record = export_report(
        project,
        args.out,
        row=args.row,
        run_id=args.run,
        level=args.level,
        kind="model" if args.model else "decision",
    )
    save_project(project, args.project)  # the audit trail of exported reports
    print(f"wrote {args.out} (sha256 {record.sha256[:12]}…), recorded in {args.project.name}")
    return 0


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as a table a person reads (parameters, verdict, warnings)."""
    lines = []
    params = summary.get("parameters") or {}
    if params:
        columns = ["mean", "sd", "hdi_3%", "hdi_97%", "mcse_mean", "ess_bulk", "ess_tail", "r_hat"]
        width = max(12, *(len(n) for n in params))
        lines.append(f"{'':<{width}} " + " ".join(f"{c:>9}" for c in columns))
        for name, row in params.items():
            cells = " ".join(f"{_fmt(row.get(c)):>9}" for c in columns)
            lines.append(f"{name:<{width}} {cells}")
    for name, value in (summary.get("hyperparameters") or {}).items():
        lines.append(f"{name:<28} {_fmt(value)}")
    for key in ("log_marginal_likelihood",):
        if key in summary:
            lines.append(f"{key:<28} {_fmt(summary[key])}")
    lines.extend(_sampler_lines(summary))
    if "converged" in summary:
        lines.append("converged: yes" if summary["converged"] else "converged: NO")
    lines.extend(f"warning: {w}" for w in summary.get("warnings", []))
    return "\n".join(lines)


def _sampler_lines(summary: dict[str, Any]) -> list[str]:
    """Which sampler ran, why, and the statistics its users read first."""
    if "sampler" not in summary:
        return []
    lines = [f"sampler: {summary['sampler']} ({summary.get('sampler_reason', '')})"]
    if summary["sampler"] == "nuts":
        bfmi = ", ".join(f"{b:.2f}" for b in summary.get("e_bfmi", []))
        lines.append(
            f"divergences: {summary['divergences']}  max tree depth hits: "
            f"{summary['max_tree_depth_hits']}  E-BFMI per chain: {bfmi}"
        )
    if summary["sampler"] == "vi":
        lines.append(f"VI check: {summary.get('vi_verdict', '')}")
    return lines


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
