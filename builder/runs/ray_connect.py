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

ADDRESS_ENV = "NETBUILDER_RAY_ADDRESS"
DEFAULT_ADDRESS = "auto"
REACH_TIMEOUT_S = 3.0

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
    """Connect this process to the cluster (once; later calls reuse it); returns its address.
    Raises RayUnreachable when nothing answers there."""
    global _connected_to
    address = cluster_address(address)
    with _LOCK:
        if ray.is_initialized() and _connected_to in (None, address):
            return address
        _check_reachable(address)
        if ray.is_initialized():
            raise RayUnreachable(
                f"this process already uses the Ray cluster at {_connected_to}, not {address}; "
                f"set {ADDRESS_ENV} to one cluster"
            )
        try:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
        except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise unreachable(address, first_line) from None
        _connected_to = address
        return address


def has_gpus() -> bool:
    """Whether any machine of the connected cluster has a GPU."""
    return ray.cluster_resources().get("GPU", 0) > 0
