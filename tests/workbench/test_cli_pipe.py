"""`workbench ... | head`: a reader that stops early ends the command quietly, while a
broken pipe elsewhere is still reported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys
import workbench.cli as cli

def handler(args):
    {body}

parser = cli.build_parser
def patched():
    p = parser()
    for action in p._subparsers._group_actions:
        action.choices["info"].set_defaults(handler=handler)
    return p
cli.build_parser = patched
sys.exit(cli.main(["info", "x.wbproj"]))
"""


def run_piped(body: str) -> subprocess.CompletedProcess:
    code = SCRIPT.format(body=body)
    command = f"{sys.executable} -c '{code}' | head -n 1"
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, cwd=ROOT
    )


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    done = run_piped("for i in range(200000): print(i)")
    assert done.stdout == "0\n" and done.stderr == "" and done.returncode == 1


def test_another_broken_pipe_is_reported() -> None:
    done = run_piped('raise BrokenPipeError(32, "a worker went away")')
    assert "workbench info:" in done.stderr and "a worker went away" in done.stderr
    assert done.returncode == 2
