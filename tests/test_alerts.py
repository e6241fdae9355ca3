"""Drift against the site's own past and the alerts it sends, over a series of crawls of the simulator.

One series (module fixture) on a small simulated site, with the baseline lowered to two runs, every alert
channel on (a webhook receiver and an SMTP server with AUTH, both on loopback) and a log file per run:

1. a first crawl of the whole site, 2.-4. incremental crawls after new articles were published, 5. one
   more after the site's article pages lost their photo (a redesign served by the simulator).

Runs 1-4 differ from the snapshot in their coverage (author about a third, source agency none), which
the old snapshot-based thresholds refused; none of them may raise anything. Run 5 fires on image_url,
sends one POST and one email, and writes its failure as one log line. A crawl refused at start (a bad
argument) alerts through the same channels.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest
from alerting import Mailbox, Webhook, smtp_server, webhook
from crawling import SNAPSHOT, crawl

from newscrawl.store import Run, Store
from sitesim import SiteSimulator
from sitesim.crawls import run_crawl

pytestmark = pytest.mark.slow

ARTICLES, SEED, ADDED = 200, 3, 60
COVERAGE = "Field coverage/Every field keeps its coverage"


@dataclass(frozen=True)
class Step:
    returncode: int
    log: str  # the run's log file
    stderr: str
    posts: list[dict[str, object]]  # webhook bodies this run sent
    emails: int  # messages this run sent
    report: Path


@dataclass(frozen=True)
class Series:
    data: Path
    steps: list[Step]
    runs: list[Run]
    emails: list[Message]


def failed(run: Run) -> set[str]:
    prefix = "newscrawl/monitors/failed/"
    return {key[len(prefix) :] for key in run.stats if key.startswith(prefix)}


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Series]:
    data = tmp_path_factory.mktemp("series")
    steps = []
    with SiteSimulator(articles=ARTICLES, seed=SEED) as sim, webhook() as hook, smtp_server() as box:
        for index in range(5):
            if index:
                sim.advance(add=ADDED)
            if index == 4:
                sim.redesign("image")
            steps.append(_step(data, sim.url, index, hook, box))
        emails = list(box.messages)
    store = Store.open(data / "newscrawl.sqlite3")
    try:
        rows = store.connection.execute("SELECT id FROM runs ORDER BY id").fetchall()
        runs = [_run(store, row[0]) for row in rows]
    finally:
        store.close()
    yield Series(data, steps, runs, emails)


def _step(data: Path, origin: str, index: int, hook: Webhook, box: Mailbox) -> Step:
    posts, emails = len(hook.posts), len(box.messages)
    log = data / f"run-{index + 1}.log"
    settings = {
        "NEWSCRAWL_MONITOR_BASELINE_RUNS": "2",
        "NEWSCRAWL_ALERT_WEBHOOK": hook.url,
        "NEWSCRAWL_ALERT_REPORT": "1",
        "LOG_FILE": str(log),
        **box.settings(),
    }
    result = run_crawl(data, origin, {"since": "2000-01-01"} if index == 0 else {}, settings)
    return Step(
        result.returncode,
        log.read_text(encoding="utf-8"),
        result.stderr,
        hook.posts[posts:],
        len(box.messages) - emails,
        log.with_suffix(".html"),
    )


def _run(store: Store, run_id: int) -> Run:
    row = store.connection.execute("SELECT stats, outcome FROM runs WHERE id = ?", (run_id,)).fetchone()
    return Run(run_id, "report_feed", "", None, None, {}, json.loads(row[0]), None, row[1])


@pytest.mark.sitesim
def test_a_series_whose_coverage_differs_from_the_snapshot_raises_nothing(series: Series) -> None:
    for step, run in zip(series.steps[:4], series.runs[:4], strict=True):
        assert step.returncode == 0, step.log[-3000:]
        assert run.outcome == "complete"
        assert failed(run) == set(), step.log[-3000:]
        assert step.posts == [] and step.emails == 0
        assert " ERROR: " not in step.log
    # The coverage these runs had would have failed the snapshot's thresholds (author 0.65, agency 0.85).
    author = [run.stats.get("spidermon_field_coverage/Article/author", 0.0) for run in series.runs[:4]]
    assert max(author) < 0.65
    assert all("spidermon_field_coverage/Article/source_agency" not in run.stats for run in series.runs[:4])
    # Runs 1 and 2 learn the baseline and say so once; runs 3 and 4 are judged against it.
    for step in series.steps[:2]:
        assert step.log.count("Drift baseline:") == 1
    for step in series.steps[2:4]:
        assert "Drift baseline:" not in step.log
        assert f"{COVERAGE}... OK" in step.log


@pytest.mark.sitesim
def test_a_field_lost_mid_series_fires_on_the_first_run_after(series: Series) -> None:
    step, run = series.steps[4], series.runs[4]
    assert run.outcome == "complete"
    assert failed(run) == {COVERAGE}, step.log[-3000:]
    assert "image_url 0% (median of 2 runs" in step.log
    errors = [line for line in step.log.splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and errors[0].endswith(
        f"[Spidermon] {COVERAGE} FAIL: " + errors[0].split(" FAIL: ", 1)[1]
    )
    assert "Traceback" not in step.log and "Traceback" not in step.stderr


@pytest.mark.sitesim
def test_the_webhook_gets_one_post_for_the_failed_run(series: Series) -> None:
    (post,) = series.steps[4].posts
    assert post["text"] == post["content"]
    text = str(post["text"])
    assert COVERAGE in text and "image_url" in text
    assert "outcome: complete" in text
    assert f"log: {series.data / 'run-5.log'}" in text


@pytest.mark.sitesim
def test_the_email_goes_out_once_with_login(series: Series) -> None:
    assert [step.emails for step in series.steps] == [0, 0, 0, 0, 1]
    (email,) = series.emails
    assert email["Subject"] == "newscrawl: report_feed complete, 1 monitor failed"
    assert email["To"] == "desk@example.org"
    part = email.get_payload(0) if email.is_multipart() else email
    body = part.get_payload(decode=True).decode("utf-8")
    assert COVERAGE in body and "image_url" in body and "Content-Type" not in body


@pytest.mark.sitesim
def test_a_report_file_is_written_next_to_each_runs_log(series: Series) -> None:
    for step in series.steps:
        html = step.report.read_text(encoding="utf-8")
        assert "<html" in html.lower()
    assert "image_url" in series.steps[4].report.read_text(encoding="utf-8")


def test_a_crawl_refused_at_start_alerts_once(tmp_path: Path) -> None:
    with webhook() as hook, smtp_server() as box:
        channels = {**box.settings(), "NEWSCRAWL_ALERT_WEBHOOK": hook.url}
        settings = [f"-s {name}={value}" for name, value in channels.items()]
        result = crawl(tmp_path / "data", SNAPSHOT, "lang=xx", *settings)
    assert result.returncode == 2, result.stderr[-3000:]
    (post,) = hook.posts
    text = str(post["text"])
    assert "outcome: refused" in text
    assert "reason: lang must be a comma list of az, en, ru (got 'xx')" in text
    (email,) = box.messages
    assert email["Subject"] == "newscrawl: report_feed refused at start"
    assert "Traceback" not in result.stderr
