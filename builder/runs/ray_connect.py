"""Reaching the Ray cluster that runs the app's trainings: $NETBUILDER_RAY_ADDRESS, checked first.

The address is `auto` (the cluster this machine belongs to), a head's `host:port`, or a Ray
client address `ray://host:10001`. A host and port are tried with a plain TCP connection before
Ray is asked, so an address where nothing listens fails in seconds with a message that names it,
instead of Ray's own retries and log lines.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

import ray

from builder.runs.executor_env import RAY_ADDRESS_ENV as ADDRESS_ENV

DEFAULT_ADDRESS = "auto"
REACH_TIMEOUT_S = 3.0
# How long this process waits for a lost head to come back before Ray ends it: for ever.
SURVIVE_HEAD_LOSS = ("RAY_gcs_rpc_server_reconnect_timeout_s", str(10**9))

_LOCK = threading.Lock()
_connected_to: str | None = None


class RayUnreachable(ConnectionError):
    """No Ray cluster answers at the address; the message names it and what to check."""


def cluster_address(address: str | None = None) -> str:
    return (address or os.environ.get(ADDRESS_ENV) or DEFAULT_ADDRESS).strip()


def host_and_port(address: str) -> tuple[str, int] | None:
    """("host", port) of `host:port` or `ray://host:port`; None for `auto` and the like."""
    rest = address.removeprefix("ray://")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def unreachable(address: str, why: str) -> RayUnreachable:
    return RayUnreachable(
        f"cannot reach the Ray cluster at {address} ({why}). Check that its head is running "
        f"(`ray start --head` on that machine), that {ADDRESS_ENV} names it (auto, the head's "
        "host:port, or ray://host:10001 for a Ray client server), that the port is open from "
        "this machine, and that both sides have the same Ray version"
    )


def _check_reachable(address: str) -> None:
    target = host_and_port(address)
    if target is None:
        return
    try:
        socket.create_connection(target, timeout=REACH_TIMEOUT_S).close()
    except OSError as exc:
        raise unreachable(address, exc.strerror or str(exc) or "no answer") from None


def connect(address: str | None = None) -> str:
    """Connect this process to the cluster (once; later calls reuse it while its head answers);
    returns its address. Raises RayUnreachable when nothing answers there."""
    global _connected_to
    address = cluster_address(address)
    with _LOCK:
        if ray.is_initialized():
            if _connected_to not in (None, address):
                _check_reachable(address)
                raise RayUnreachable(
                    f"this process already uses the Ray cluster at {_connected_to}, not "
                    f"{address}; set {ADDRESS_ENV} to one cluster"
                )
            if head_answers():
                return address
            _disconnect()  # the head went away: connect afresh once one answers again
        _check_reachable(address)
        # Ray ends a process whose head is gone for a minute; the page server must outlive it.
        os.environ.setdefault(SURVIVE_HEAD_LOSS[0], SURVIVE_HEAD_LOSS[1])
        try:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
        except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise unreachable(address, first_line) from None
        _connected_to = address
        return address


def head_answers() -> bool:
    """Whether the connected cluster's head still takes connections (True when unknown)."""
    try:
        target = host_and_port(ray.get_runtime_context().gcs_address)
    except Exception:  # a Ray client connection has no head address of its own to try
        return True
    if target is None:
        return True
    try:
        socket.create_connection(target, timeout=REACH_TIMEOUT_S).close()
        return True
    except OSError:
        return False


def _disconnect() -> None:
    global _connected_to
    done = threading.Thread(target=ray.shutdown, name="ray-shutdown", daemon=True)
    done.start()
    done.join(30.0)  # a shutdown towards a dead head takes a few seconds
    _connected_to = None


def has_gpus() -> bool:
    """Whether any machine of the connected cluster has a GPU."""
    return ray.cluster_resources().get("GPU", 0) > 0
