"""Fixtures shared by test modules: a real Splash server on loopback, and one crawl of the snapshot."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from crawling import SNAPSHOT, Crawled, crawl

ROOT = Path(__file__).resolve().parents[1]
SPLASH_SCRIPT = ROOT / "tools" / "splash.sh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def splash_url() -> Iterator[str]:
    """A Splash 3.5 server started for the session on a free port of 127.0.0.1, and stopped after.

    Installed by ``make splash-install`` (``.ci/run`` does it). Outside CI a machine without it skips
    these tests with the reason; under CI (env CI set) a missing Splash fails them."""
    installed = subprocess.run(["bash", str(SPLASH_SCRIPT), "python"], capture_output=True, text=True)
    if installed.returncode != 0:
        message = "Splash is not installed: run `make splash-install` (tools/splash.sh install)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must install it (.ci/run)")
        pytest.skip(message)
    port = str(free_port())
    started = subprocess.run(
        ["bash", str(SPLASH_SCRIPT), "start", port], capture_output=True, text=True, timeout=120
    )
    if started.returncode != 0:
        pytest.fail(f"Splash did not start: {started.stderr.strip()}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(SPLASH_SCRIPT), "stop", port], capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def snapshot_crawl(tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    """One replay of the whole bundled snapshot (``-a since=2000-01-01``), crawled once per session (per
    worker under xdist) and shared by every test that only reads what it stored. A test that crawls again
    on top of it works on ``copy_to(tmp_path)``."""
    data = tmp_path_factory.mktemp("snapshot-crawl")
    result = crawl(data, SNAPSHOT, "since=2000-01-01")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return Crawled(data, result.stderr)
