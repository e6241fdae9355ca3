"""A loopback report.az: the snapshot generator's own pages, for N generated articles, with faults.

From the command line (prints its URL first)::

    python -m sitesim --articles 10000 --seed 1 --port 0

From Python (a subprocess on a free port of 127.0.0.1, stopped on exit)::

    with SiteSimulator(articles=500, seed=1, faults=["5xx=0.1"]) as sim:
        sim.url                       # http://127.0.0.1:PORT, for NEWSCRAWL_ORIGIN
        sim.advance(add=50, change=5) # the site an hour later
        sim.state()["counts"]         # requests per page kind, faults per kind

Pages are rendered by ``fixtures.generator.render``, the code that writes the committed snapshot, so
``--stories snapshot`` serves exactly the files of ``fixtures/snapshot``. Modules: ``timeline``
(generated stories), ``faults`` (what goes wrong, per request), ``server`` (Twisted Web), ``options``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[1]


class SimulatorError(RuntimeError):
    """The simulator did not start; the message carries its error output."""


class SiteSimulator:
    """``python -m sitesim`` in a subprocess, with its options as keywords.

    Keywords are the command line's options with dashes as underscores (``articles=10000``,
    ``weight="heavy"``, ``js_listings=True``); ``faults`` is a list of ``KIND=RATE[:SCOPE]``.
    """

    def __init__(self, faults: list[str] | tuple[str, ...] = (), **options: Any) -> None:
        self.argv = [sys.executable, "-m", "sitesim", "--port", "0", "--exit-with-parent"]
        for name, value in options.items():
            flag = "--" + name.replace("_", "-")
            if value is True:
                self.argv.append(flag)
            elif value not in (None, False):
                self.argv += [flag, str(value)]
        for spec in faults:
            self.argv += ["--fault", spec]
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> Self:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("http://"):
            _, err = self.process.communicate(timeout=30)
            self.process = None
            raise SimulatorError(f"the site simulator did not start: {err.strip() or line}")
        self.url = line
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # -- control ---------------------------------------------------------------------------------

    def _call(self, path: str, method: str = "GET", timeout: float = 30) -> dict[str, Any]:
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: dict[str, Any] = json.loads(response.read())
        return data

    def state(self) -> dict[str, Any]:
        """Clock, size, options and counters (``counts``: ``requests/<kind>``, ``faults/<kind>``)."""
        return self._call("/_sim/state")

    def advance(self, add: int = 0, change: int = 0) -> dict[str, Any]:
        """Publish ``add`` articles and correct ``change`` headlines; their URLs (``new``, ``changed``)."""
        return self._call(f"/_sim/advance?add={add}&change={change}", "POST")

    def set_faults(self, faults: list[str] | tuple[str, ...] = (), seed: int = 0) -> dict[str, Any]:
        """Replace the fault plan (``KIND=RATE[:SCOPE]`` each); none makes the site healthy."""
        query = urllib.parse.urlencode([("fault", spec) for spec in faults] + [("seed", str(seed))])
        return self._call(f"/_sim/faults?{query}", "POST")

    def correct(self, url: str) -> dict[str, Any]:
        """Correct the headline of the article at ``url`` (a report.az URL or a path), however old."""
        path = urllib.parse.urlsplit(url).path
        return self._call(f"/_sim/correct?{urllib.parse.urlencode({'path': path})}", "POST")

    def ignore_cursor(self, ignore: bool = True) -> dict[str, Any]:
        """Make batch endpoints honour only their own cards' timestamps as cursors (or any date again)."""
        return self._call(f"/_sim/cursor?ignore={int(ignore)}", "POST")

    def drop_archive(self, drop: bool = True) -> dict[str, Any]:
        """Make the daily archive answer 404 for every day (or serve it again)."""
        return self._call(f"/_sim/archive?drop={int(drop)}", "POST")

    def redesign(self, *lost: str) -> dict[str, Any]:
        """Serve article pages whose markup no longer holds these parts (``image``, ``author``, ``tags``):
        every source of the field is gone, as after a redesign. None: the usual markup again."""
        query = urllib.parse.urlencode([("lose", part) for part in lost])
        return self._call(f"/_sim/markup?{query}", "POST")

    def articles(self) -> list[dict[str, str]]:
        """The site's own truth: every article (``url``, ``title``, ``published``), newest first."""
        # A year of 100,000 articles takes the server seconds to list, more on a busy machine.
        articles: list[dict[str, str]] = self._call("/_sim/articles", timeout=600)["articles"]
        return articles

    def reset_counts(self) -> None:
        self._call("/_sim/reset", "POST")

    def get(self, path: str) -> tuple[int, bytes]:
        """Status and body of one page, for tests (no faults expected on the way)."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
