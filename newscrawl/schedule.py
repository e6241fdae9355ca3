"""Schedule a crawl on Scrapyd unless one of the same spider is already pending or running.

What the systemd timer and the crontab line in ``deploy/`` run every 15 minutes::

    python -m newscrawl.schedule                       # report_feed on $NEWSCRAWL_SCRAPYD_URL
    python -m newscrawl.schedule -s NEWSCRAWL_DATA_DIR=/var/lib/newscrawl -a lang=en

Scrapyd has no scheduler and no notion of overlap: it queues whatever ``schedule.json`` receives. This
asks ``listjobs.json`` first and, when a job of the spider is pending or running, logs one line and queues
nothing, so a slow run is never followed by a pile of queued ones. (Between the question and the
``schedule.json`` call another client could still queue a job; the store's run lock then refuses it at
start, see newscrawl/runlock.py.)

The server and its credentials come from the environment, never from the repository:
``NEWSCRAWL_SCRAPYD_URL`` (default ``http://127.0.0.1:6800``), ``NEWSCRAWL_SCRAPYD_USERNAME`` and
``NEWSCRAWL_SCRAPYD_PASSWORD`` (Scrapyd's basic auth). Exit status: 0 when a job was queued or the run
was skipped, 1 when Scrapyd could not be asked, 2 for a bad argument. Standard library only (and
newscrawl's store reader), so any Python 3.11 that can import newscrawl can run it.

Every call also checks the store named by ``NEWSCRAWL_DATA_DIR`` or ``NEWSCRAWL_SQLITE`` (``-s`` or the
environment) for staleness (newscrawl/staleness.py): no ``complete`` run for
``NEWSCRAWL_STALE_HOURS`` hours (6), or the last ``NEWSCRAWL_STALE_PARTIAL_RUNS`` runs (3) all partial,
raises one alert per episode through the webhook and email settings of the crawl's alerts.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from newscrawl import staleness
from newscrawl.dates import utc_now
from newscrawl.exceptions import NewscrawlError

logger = logging.getLogger("newscrawl.schedule")

DEFAULT_URL = "http://127.0.0.1:6800"
PROJECT = "newscrawl"
SPIDER = "report_feed"
TIMEOUT = 30.0  # seconds per request to Scrapyd


class ScheduleError(Exception):
    """Scrapyd could not be asked or refused; the message is one sentence naming the fix."""


class Scrapyd:
    """Scrapyd's JSON API over HTTP, with optional basic auth."""

    def __init__(self, url: str, username: str = "", password: str = "") -> None:
        # Joined by hand, not with urljoin: a base URL with a path (behind a proxy) keeps its path, and a
        # trailing slash does not produce "//listjobs.json".
        self.url = url.rstrip("/")
        self.headers: dict[str, str] = {}
        if username:
            token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            self.headers["Authorization"] = f"Basic {token}"

    def call(
        self, endpoint: str, *, query: Sequence[tuple[str, str]] = (), form: Sequence[tuple[str, str]] = ()
    ) -> dict[str, Any]:
        """GET (or POST when form is given) an endpoint and return its JSON answer with status "ok"."""
        url = f"{self.url}/{endpoint}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = urllib.parse.urlencode(form).encode("ascii") if form else None
        request = urllib.request.Request(url, data=data, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                raise ScheduleError(
                    f"Scrapyd at {self.url} refused the credentials; set NEWSCRAWL_SCRAPYD_USERNAME and "
                    "NEWSCRAWL_SCRAPYD_PASSWORD to the username and password of its scrapyd.conf"
                ) from None
            raise ScheduleError(
                f"Scrapyd at {self.url} answered {endpoint} with HTTP {exc.code}; "
                "check NEWSCRAWL_SCRAPYD_URL points at Scrapyd"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ScheduleError(
                f"cannot reach Scrapyd at {self.url} ({reason}); start it or set NEWSCRAWL_SCRAPYD_URL"
            ) from None
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise ScheduleError(
                f"{self.url}/{endpoint} did not answer JSON; check NEWSCRAWL_SCRAPYD_URL points at Scrapyd"
            )
        if answer.get("status") != "ok":
            message = str(answer.get("message", answer)).strip()
            if "not found" in message and "project" in message:
                raise ScheduleError(f"Scrapyd at {self.url} says {message}; deploy it first: make deploy")
            raise ScheduleError(f"Scrapyd at {self.url} refused {endpoint}: {message}")
        return answer


def active_jobs(answer: Mapping[str, Any], spider: str) -> list[tuple[str, str]]:
    """(state, job id) of the spider's pending and running jobs in a listjobs.json answer.

    >>> active_jobs({"pending": [{"id": "a", "spider": "report_feed"}],
    ...              "running": [{"id": "b", "spider": "other"}], "finished": [{"id": "c",
    ...              "spider": "report_feed"}]}, "report_feed")
    [('pending', 'a')]
    """
    return [
        (state, str(job.get("id")))
        for state in ("pending", "running")
        for job in answer.get(state, [])
        if job.get("spider") == spider
    ]


def schedule(
    scrapyd: Scrapyd,
    project: str,
    spider: str,
    settings: Sequence[str] = (),
    arguments: Sequence[str] = (),
) -> str | None:
    """Queue a job and return its id, or return None (and log why) when one is pending or running."""
    active = active_jobs(scrapyd.call("listjobs.json", query=[("project", project)]), spider)
    if active:
        state, job = active[0]
        logger.info("skipped: %s job %s of %s is %s on %s", spider, job, project, state, scrapyd.url)
        return None
    form = [("project", project), ("spider", spider)]
    form += [("setting", setting) for setting in settings]
    form += [(name, value) for name, _, value in (argument.partition("=") for argument in arguments)]
    job = str(scrapyd.call("schedule.json", form=form)["jobid"])
    logger.info("scheduled: %s job %s of %s on %s", spider, job, project, scrapyd.url)
    return job


def _assignment(value: str) -> str:
    name, sep, _ = value.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE (got {value!r}), e.g. NEWSCRAWL_DATA_DIR=/srv/data"
        )
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m newscrawl.schedule",
        description="Queue a crawl on Scrapyd unless one of the same spider is pending or running.",
    )
    parser.add_argument("spider", nargs="?", default=SPIDER, help=f"spider to run (default: {SPIDER})")
    parser.add_argument("--project", default=PROJECT, help=f"Scrapyd project (default: {PROJECT})")
    parser.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        type=_assignment,
        metavar="NAME=VALUE",
        help="a Scrapy setting for this job (Scrapyd's setting=), repeatable",
    )
    parser.add_argument(
        "-a",
        dest="arguments",
        action="append",
        default=[],
        type=_assignment,
        metavar="NAME=VALUE",
        help="a spider argument for this job, repeatable",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    args = parse_args(argv)
    scrapyd = Scrapyd(
        environ.get("NEWSCRAWL_SCRAPYD_URL") or DEFAULT_URL,
        environ.get("NEWSCRAWL_SCRAPYD_USERNAME", ""),
        environ.get("NEWSCRAWL_SCRAPYD_PASSWORD", ""),
    )
    status = 0
    try:
        schedule(scrapyd, args.project, args.spider, args.settings, args.arguments)
    except ScheduleError as exc:
        logger.error("%s", exc)
        status = 1
    # Checked even when Scrapyd could not be asked: then nothing runs, and the store goes stale.
    store = store_of(args.settings, environ)
    if store is None:
        logger.debug("no store named (NEWSCRAWL_DATA_DIR, NEWSCRAWL_SQLITE): staleness not checked")
        return status
    try:
        staleness.check(store, datetime.fromisoformat(utc_now()), environ)
    except (NewscrawlError, ValueError) as exc:
        logger.error("staleness not checked: %s", exc)
    return status


def store_of(settings: Sequence[str], environ: Mapping[str, str]) -> Path | None:
    """The store the jobs write, when named: ``-s NEWSCRAWL_SQLITE``/``NEWSCRAWL_DATA_DIR`` first, then the
    environment, as a crawl resolves them (newscrawl.addon.store_path); None when neither names one (a
    job's default store is relative to Scrapyd's working directory, which this command does not know).

    >>> store_of(["NEWSCRAWL_DATA_DIR=/srv/x"], {"NEWSCRAWL_DATA_DIR": "/var/lib/newscrawl/data"})
    PosixPath('/srv/x/newscrawl.sqlite3')
    >>> store_of([], {"NEWSCRAWL_SQLITE": "/srv/one.sqlite3"})
    PosixPath('/srv/one.sqlite3')
    >>> store_of([], {}) is None
    True
    """
    values = {**environ, **dict(setting.partition("=")[::2] for setting in settings)}
    if values.get("NEWSCRAWL_SQLITE"):
        return Path(values["NEWSCRAWL_SQLITE"])
    if values.get("NEWSCRAWL_DATA_DIR"):
        return Path(values["NEWSCRAWL_DATA_DIR"]) / "newscrawl.sqlite3"
    return None


if __name__ == "__main__":
    sys.exit(main())
