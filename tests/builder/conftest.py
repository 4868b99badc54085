"""Fixtures of the builder tests: `cluster`, the session's local Ray head (2 CPUs on 127.0.0.1,
connected), one head however many modules train on Ray."""

from __future__ import annotations

import pytest

RAY_CPUS = 2


@pytest.fixture(scope="session")
def cluster():
    import ray  # deferred: Ray is optional, and only a test that asks for the cluster needs it

    from builder.runs.ray_connect import connect
    from tests.builder.ray_head import local_head

    with local_head(cpus=RAY_CPUS) as address:
        connect(address)
        try:
            yield address
        finally:
            ray.shutdown()
