"""`python -m builder serve`: the app, with the run queue's limits given on the command line.

    python -m builder serve --max-runs 3 --runs-per-person 1 --port 8501
    python -m builder serve --host 0.0.0.0 --executor ray --ray-address HEAD_HOST:6379

It listens on this machine only (127.0.0.1) unless `--host` opens it to others: a page that
anyone on the network can open is a decision, not a default.

The limits reach the app through its environment (NETBUILDER_MAX_RUNS,
NETBUILDER_RUNS_PER_PERSON), which is also how a service manager would set them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from builder.runs.executor_env import EXECUTOR_ENV, RAY_ADDRESS_ENV
from builder.runs.queue import MAX_RUNS_VAR, PER_PERSON_VAR
from builder.runs.workspace import ENV_VAR as WORKSPACE_VAR

LOCAL_HOST = "127.0.0.1"
APP = Path(__file__).resolve().parents[2] / "app.py"


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def serve_command(args) -> int:
    if not APP.is_file():
        print(
            f"error: the app is not next to the builder package ({APP} is missing)", file=sys.stderr
        )
        return 2
    env = dict(os.environ)
    if args.max_runs:
        env[MAX_RUNS_VAR] = str(args.max_runs)
    if args.runs_per_person:
        env[PER_PERSON_VAR] = str(args.runs_per_person)
    if args.executor:
        env[EXECUTOR_ENV] = args.executor
    if args.ray_address:
        env[RAY_ADDRESS_ENV] = args.ray_address
    if args.workspace:
        env[WORKSPACE_VAR] = str(Path(args.workspace).expanduser().resolve())
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(args.port), "--server.address", args.host,
    ]  # fmt: skip
    # Become the server (no parent left behind): a service manager's stop reaches it directly.
    os.execve(sys.executable, command, env)
    return 0  # not reached


def add_serve_command(subparsers) -> None:
    p = subparsers.add_parser("serve", help="start the app for one person or a whole class")
    p.add_argument(
        "--max-runs",
        type=_at_least_one,
        default=None,
        help="trainings at once on this server (default: cores - 1, at least 1)",
    )
    p.add_argument(
        "--runs-per-person",
        type=_at_least_one,
        default=None,
        help="trainings at once for each person (default 1); more wait in line",
    )
    p.add_argument(
        "--workspace",
        default=None,
        help="the folder that holds everyone's designs and runs (default ./workspace)",
    )
    p.add_argument(
        "--executor",
        choices=("local", "ray"),
        default=None,
        help="where trainings run: local worker processes (default) or a Ray cluster",
    )
    p.add_argument(
        "--ray-address", default=None, help="the Ray cluster: auto, HOST:PORT or ray://HOST:10001"
    )
    p.add_argument("--port", type=int, default=8501)
    p.add_argument(
        "--host",
        "--address",
        dest="host",
        default=LOCAL_HOST,
        help=f"the address to listen on (default {LOCAL_HOST}: this machine only; "
        "0.0.0.0 opens the app to every network the machine is on)",
    )
    p.set_defaults(func=serve_command)
