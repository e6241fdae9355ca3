"""``scrapy crawl report_feed`` as a subprocess against an origin (the site simulator), for tests and
benchmarks. Politeness is relaxed only here, on the command line, never in settings.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# No delay, no AutoThrottle and 16 requests at a time: the simulator on loopback is the only server.
FAST: dict[str, str] = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
}


def crawl_command(
    data: Path,
    origin: str,
    args: Mapping[str, str] | None = None,
    settings: Mapping[str, str] | None = None,
    python: list[str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """Command line and environment of a crawl of ``origin`` into ``data`` (store and JSON Lines)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSCRAWL_REPLAY", "NEWSCRAWL_RECORD")}
    env.update(
        {
            "NEWSCRAWL_ORIGIN": origin,
            "NEWSCRAWL_DATA_DIR": str(data),
            "NEWSCRAWL_SQLITE": str(data / "newscrawl.sqlite3"),
            "NEWSCRAWL_PROGRESS_INTERVAL": "0",
            "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
        }
    )
    command = [*(python or [sys.executable]), "-m", "scrapy", "crawl", "report_feed"]
    for name, value in (args or {}).items():
        command += ["-a", f"{name}={value}"]
    for name, value in {**FAST, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    return command, env


def run_crawl(
    data: Path,
    origin: str,
    args: Mapping[str, str] | None = None,
    settings: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    command, env = crawl_command(data, origin, args, settings)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def read_jsonl(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
