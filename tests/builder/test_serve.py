"""`builder serve` listens on this machine only unless --host opens it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, free_port, stop_app, wait_healthy

LISTEN = "0A"


def listening(port: int) -> set[str]:
    """The IPv4 and IPv6 addresses a socket listens on at `port` (from the kernel's tables)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == LISTEN and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc/net/tcp")
@pytest.mark.parametrize(
    ("flags", "expected"), [([], {"0100007F"}), (["--host", "0.0.0.0"], {"00000000"})]
)
def test_serve_listens_locally_unless_opened(tmp_path, flags, expected):
    port = free_port()
    log = open(tmp_path / "serve.log", "w+b")  # noqa: SIM115
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "builder",
        "serve",
        "--port",
        str(port),
        "--workspace",
        str(tmp_path),
        *flags,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
        assert listening(port) == expected  # 127.0.0.1 only, or every IPv4 address
    finally:
        stop_app(process)
        log.close()
