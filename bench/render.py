"""Benchmark of rendering: pages/s of the same crawl over the site simulator, plain against through Splash.

    .venv/bin/python bench/render.py [--articles 2000] [--max-pages 3] [--weight light|heavy]

Starts a simulated report.az (sitesim) and a Splash server (tools/splash.sh, installed by
``make splash-install``) on free loopback ports, then runs ``scrapy crawl report_feed`` three times against
the same site, politeness off (no delay, 8 requests per domain), each with a fresh store:

1. ``render=plain``: the reference;
2. ``render=splash``: every page rendered by Splash;
3. ``render=auto`` over the script-built variant of the site (``--js-listings``): plain, with only the
   listing pages rendered.

Pages/s is Scrapy's ``response_received_count`` over ``elapsed_time_seconds`` from the run's own stats.
CPU ms/page is the CPU time of the crawl process and, separately, of the Splash server (from
/proc/<pid>/stat) spent during the run, per page: unlike pages/s it does not depend on what else the
machine is doing. Prints numbers and ratios against the plain run; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitesim import SiteSimulator  # noqa: E402

SPLASH = ROOT / "tools" / "splash.sh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def crawl(origin: str, splash_url: str, mode: str, max_pages: int, splash_pid: int) -> dict[str, float]:
    splash_before = cpu_seconds(splash_pid)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    crawler_before = children.ru_utime + children.ru_stime
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")},
            "NEWSCRAWL_DATA_DIR": str(data),
            "NEWSCRAWL_SQLITE": str(data / "newscrawl.sqlite3"),
            "NEWSCRAWL_PROGRESS_INTERVAL": "0",
            "NEWSCRAWL_ORIGIN": origin,
            "SPLASH_URL": splash_url,
        }
        command = [sys.executable, "-m", "scrapy", "crawl", "report_feed", "-a", "since=2000-01-01"]
        command += ["-a", f"max_pages={max_pages}", "-a", f"render={mode}"]
        command += ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
        command += ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=INFO"]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"the {mode} crawl failed:\n{result.stderr[-3000:]}")
        with closing(sqlite3.connect(data / "newscrawl.sqlite3")) as db:
            (stats,) = next(db.execute("SELECT stats FROM runs ORDER BY id DESC LIMIT 1"))
    values: dict[str, float] = json.loads(stats)
    # Set by Scrapy's CoreStats after the store saved the run: read from the stats dump at the end.
    elapsed = re.search(r"'elapsed_time_seconds': ([0-9.]+)", result.stderr)
    if elapsed is None:
        sys.exit(f"no elapsed_time_seconds in the {mode} crawl's stats dump")
    values["elapsed_time_seconds"] = float(elapsed.group(1))
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    values["crawler_cpu"] = children.ru_utime + children.ru_stime - crawler_before
    values["splash_cpu"] = cpu_seconds(splash_pid) - splash_before
    return values


def line(label: str, stats: dict[str, float], reference: float | None) -> float:
    pages = stats["response_received_count"]
    seconds = stats["elapsed_time_seconds"]
    rate = pages / seconds
    rendered = int(stats.get("newscrawl/render/pages", 0))
    articles = int(stats.get("newscrawl/articles/parsed", 0))
    ratio = f"{rate / reference:5.2f}x plain" if reference else "reference "
    crawler_ms, splash_ms = (1000 * stats[key] / pages for key in ("crawler_cpu", "splash_cpu"))
    print(
        f"{label:<36} {int(pages):5d} pages {rendered:5d} rendered {articles:5d} articles {seconds:6.1f} s "
        f"{rate:6.1f} pages/s ({ratio})  CPU ms/page: crawler {crawler_ms:5.1f}, Splash {splash_ms:5.1f}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--max-pages", type=int, default=3)
    parser.add_argument("--weight", choices=("light", "heavy"), default="light")
    args = parser.parse_args()
    if subprocess.run(["bash", str(SPLASH), "python"], capture_output=True).returncode != 0:
        sys.exit("Splash is not installed; run: make splash-install")
    port = str(free_port())
    started = subprocess.run(["bash", str(SPLASH), "start", port], capture_output=True, text=True)
    if started.returncode != 0:
        sys.exit(started.stderr)
    splash_url = f"http://127.0.0.1:{port}"
    pid = subprocess.run(["bash", str(SPLASH), "pid", port], capture_output=True, text=True, check=True)
    splash_pid = int(pid.stdout)
    site = {"articles": args.articles, "seed": 1, "weight": args.weight}
    try:
        print(f"site simulator: {args.articles} articles, {args.weight} pages; max_pages={args.max_pages}")
        with SiteSimulator(**site) as sim:
            plain = line("plain", crawl(sim.url, splash_url, "plain", args.max_pages, splash_pid), None)
            stats = crawl(sim.url, splash_url, "splash", args.max_pages, splash_pid)
            line("render=splash (every page)", stats, plain)
        with SiteSimulator(js_listings=True, **site) as sim:
            stats = crawl(sim.url, splash_url, "auto", args.max_pages, splash_pid)
            line("render=auto (script-built listings)", stats, plain)
    finally:
        subprocess.run(["bash", str(SPLASH), "stop", port], capture_output=True)


if __name__ == "__main__":
    main()
