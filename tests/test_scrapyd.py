"""newscrawl on a real Scrapyd 1.6: deployed with scrapyd-deploy, scheduled with the command the systemd
timer and the crontab line in deploy/ run, replaying the bundled snapshot.

One Scrapyd per module, started on 127.0.0.1 on a free port with basic auth, its own eggs, logs, dbs and
items directories and its own HOME (so no ~/.scrapyd.conf or ~/.netrc of the machine is read), built from
deploy/scrapyd.conf, and stopped at the end.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alerting import webhook
from crawling import snapshot_pages

from newscrawl.replay import sidecar_path
from newscrawl.schedule import ScheduleError, Scrapyd
from newscrawl.store import Run, recent_runs

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "fixtures" / "snapshot"
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
USERNAME = "newscrawl"
# A guard against something stuck, never an assertion on speed.
PATIENCE = 300.0


def schedule_command() -> list[str]:
    """The timer's command (ExecStart of deploy/newscrawl-schedule.service) without its interpreter."""
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.read(DEPLOY / "newscrawl-schedule.service")
    interpreter, *command = shlex.split(unit["Service"]["ExecStart"])
    assert interpreter.endswith("/python")
    return command


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    home: Path
    password: str
    env: dict[str, str]

    @property
    def api(self) -> Scrapyd:
        return Scrapyd(self.url, USERNAME, self.password)

    def client_env(self, password: str | None = None) -> dict[str, str]:
        return {
            **self.env,
            "NEWSCRAWL_SCRAPYD_URL": self.url,
            "NEWSCRAWL_SCRAPYD_USERNAME": USERNAME,
            "NEWSCRAWL_SCRAPYD_PASSWORD": self.password if password is None else password,
        }

    def schedule(
        self, *args: str, password: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the timer's command with extra arguments (-s NAME=VALUE, -a NAME=VALUE)."""
        return subprocess.run(
            [sys.executable, *schedule_command(), *args],
            cwd=ROOT,
            env={**self.client_env(password), **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def jobs(self) -> dict[str, Any]:
        return self.api.call("listjobs.json", query=[("project", "newscrawl")])

    def state(self, job: str) -> str | None:
        jobs = self.jobs()
        for state in ("pending", "running", "finished"):
            if any(entry["id"] == job for entry in jobs[state]):
                return state
        return None

    def wait_until(self, job: str, state: str) -> None:
        deadline = time.monotonic() + PATIENCE
        while self.state(job) != state:
            if time.monotonic() > deadline:
                pytest.fail(f"job {job} never became {state}:\n{self.scrapyd_log()[-3000:]}")
            time.sleep(0.2)

    def log(self, job: str) -> str:
        path = self.home / "logs" / "newscrawl" / "report_feed" / f"{job}.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def items(self, job: str) -> Path:
        return self.home / "items" / "newscrawl" / "report_feed" / f"{job}.jl"

    def scrapyd_log(self) -> str:
        return (self.home / "scrapyd.out").read_text(encoding="utf-8", errors="replace")


def scheduled_job(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    match = re.search(r"scheduled: report_feed job (\w+) of newscrawl", result.stderr)
    assert match, result.stderr
    return match.group(1)


@contextmanager
def running_scrapyd(home: Path, items_dir: str) -> Iterator[Server]:
    """Scrapyd with deploy/scrapyd.conf's settings, but its own port, directories and credentials."""
    port, password = free_port(), secrets.token_hex(12)
    config = configparser.ConfigParser()
    config.read(DEPLOY / "scrapyd.conf")
    config["scrapyd"].update(
        {
            "http_port": str(port),
            "eggs_dir": str(home / "eggs"),
            "logs_dir": str(home / "logs"),
            "dbs_dir": str(home / "dbs"),
            "items_dir": items_dir,
            "username": USERNAME,
            "password": password,
            "max_proc": "4",
            "poll_interval": "0.2",  # default 5 s: jobs start sooner, nothing else changes
        }
    )
    with (home / "scrapyd.conf").open("w") as file:
        config.write(file)
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEWSCRAWL_")}
    env.update(HOME=str(home), NEWSCRAWL_PROGRESS_INTERVAL="0")
    with (home / "scrapyd.out").open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"], cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(f"http://127.0.0.1:{port}", home, password, env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.api.call("daemonstatus.json")
                break
            except ScheduleError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"Scrapyd did not start:\n{server.scrapyd_log()}")
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server of most tests: items_dir set, so each job has its own items file."""
    home = tmp_path_factory.mktemp("scrapyd")
    with running_scrapyd(home, items_dir=str(home / "items")) as server:
        yield server


@pytest.fixture(scope="module")
def deployed(scrapyd: Server) -> subprocess.CompletedProcess[str]:
    """The egg built and uploaded by scrapyd-deploy through scrapy.cfg's remote target."""
    return subprocess.run(
        [str(BIN / "scrapyd-deploy"), "remote", "--version", "1"],
        cwd=ROOT,
        env=scrapyd.client_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def first_job(scrapyd: Server, deployed: subprocess.CompletedProcess[str]) -> str:
    """A scheduled replay of the whole snapshot into the default data dir (Scrapyd's working dir)."""
    job = scheduled_job(scrapyd.schedule("-s", f"NEWSCRAWL_REPLAY={SNAPSHOT}", "-a", "since=2000-01-01"))
    scrapyd.wait_until(job, "finished")
    return job


def stored(store: Path) -> dict[str, str]:
    """url -> content hash of every article in a store, read without a lock (a job may be writing)."""
    if not store.exists():
        return {}
    with closing(sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True)) as db:
        try:
            return dict(db.execute("SELECT url, content_hash FROM articles").fetchall())
        except sqlite3.OperationalError:  # schema not created yet
            return {}


def runs(store: Path) -> list[Run]:
    return list(reversed(recent_runs(store, 100)))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "] ERROR: " in line]


# -- 1. packaging and deployment -------------------------------------------------------------------------


@pytest.mark.scrapyd
def test_deploy_with_scrapyd_deploy(scrapyd: Server, deployed: subprocess.CompletedProcess[str]) -> None:
    assert deployed.returncode == 0, deployed.stderr
    assert json.loads(deployed.stdout)["status"] == "ok"
    assert scrapyd.api.call("listspiders.json", query=[("project", "newscrawl")])["spiders"] == [
        "report_feed"
    ]
    assert scrapyd.api.call("listversions.json", query=[("project", "newscrawl")])["versions"] == ["1"]
    # scrapyd-client reads the same target (it fails on a URL that ends in "/").
    spiders = subprocess.run(
        [str(BIN / "scrapyd-client"), "spiders", "--target", "remote", "--project", "newscrawl"],
        cwd=ROOT,
        env=scrapyd.client_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert spiders.returncode == 0, spiders.stdout + spiders.stderr
    assert "report_feed" in spiders.stdout


@pytest.mark.scrapyd
def test_jobs_import_newscrawl_from_the_egg(
    scrapyd: Server, deployed: subprocess.CompletedProcess[str]
) -> None:
    # What scrapyd.runner does before it runs `scrapy crawl`, in Scrapyd's directory and environment: the
    # egg comes first on sys.path, even with newscrawl installed in the same virtualenv (as here).
    probe = (
        "from scrapyd.runner import project_environment\n"
        "with project_environment('newscrawl'):\n"
        "    import newscrawl.store, newscrawl.settings\n"
        "    print(newscrawl.store.__file__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=scrapyd.home,
        env={**scrapyd.env, "SCRAPY_PROJECT": "newscrawl"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(scrapyd.home / "eggs" / "newscrawl")


@pytest.fixture(scope="module")
def egg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The egg as scrapyd-deploy builds it, without deploying it."""
    path = tmp_path_factory.mktemp("egg") / "newscrawl.egg"
    result = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "--build-egg", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return path


@pytest.mark.scrapyd
def test_the_egg_carries_every_file_of_the_package(egg: Path) -> None:
    package = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "newscrawl").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
    assert package - names == set()
    entry_points = configparser.ConfigParser()
    with zipfile.ZipFile(egg) as archive:
        entry_points.read_string(archive.read("EGG-INFO/entry_points.txt").decode())
    assert entry_points["scrapy"]["settings"] == "newscrawl.settings"


# Run in an isolated interpreter (-I: no PYTHONPATH, no working directory, no user site) that sees the
# egg first and then the virtualenv's site-packages, where the project's dependencies live.
IMPORT_EVERY_MODULE = """
import importlib, sys, zipfile
egg = sys.argv[1]
sys.path.insert(0, egg)
names = sorted(
    name[: -len(".py")].replace("/", ".").removesuffix(".__init__")
    for name in zipfile.ZipFile(egg).namelist()
    if name.endswith(".py")
)
for name in names:
    module = importlib.import_module(name)
    assert module.__file__ and module.__file__.startswith(egg), (name, module.__file__)
    print(name)
"""


@pytest.mark.scrapyd
def test_every_module_of_the_egg_imports_from_the_egg_alone(egg: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(egg) as archive:
        top = {name.split("/", 1)[0] for name in archive.namelist()}
    # Only the crawler: no site simulator, no fixtures generator, no tests.
    assert top == {"newscrawl", "EGG-INFO"}
    result = subprocess.run(
        [sys.executable, "-I", "-c", IMPORT_EVERY_MODULE, str(egg)],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    imported = result.stdout.split()
    assert "newscrawl.settings" in imported and "newscrawl.spiders.report_feed" in imported
    assert not [name for name in imported if not name.startswith("newscrawl")]


def test_deploy_files_run_the_same_command() -> None:
    command = schedule_command()
    assert command[:2] == ["-m", "newscrawl.schedule"]
    cron = [line for line in (DEPLOY / "newscrawl.cron").read_text().splitlines() if line.startswith("*/15 ")]
    assert len(cron) == 1
    assert f"python {shlex.join(command)} " in cron[0]
    timer = configparser.ConfigParser(interpolation=None)
    timer.read(DEPLOY / "newscrawl-schedule.timer")
    assert timer["Timer"]["OnCalendar"] == "*:0/15"
    conf = configparser.ConfigParser()
    conf.read(DEPLOY / "scrapyd.conf")
    assert conf["scrapyd"]["bind_address"] == "127.0.0.1"
    assert "password" not in conf["scrapyd"]  # credentials live outside the repository
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / "scrapy.cfg")
    assert cfg["deploy:local"]["url"] == "http://127.0.0.1:6800"
    assert cfg["deploy:remote"]["url"] == "${NEWSCRAWL_SCRAPYD_URL}"


# -- 2. and 3. scheduled runs ------------------------------------------------------------------------------


@pytest.mark.scrapyd
def test_a_scheduled_run_stores_every_article(scrapyd: Server, first_job: str) -> None:
    articles, cards = snapshot_pages(SNAPSHOT)
    # No NEWSCRAWL_DATA_DIR anywhere: the default data dir, relative to Scrapyd's working directory.
    store = scrapyd.home / "data" / "newscrawl.sqlite3"
    assert set(stored(store)) == articles
    assert runs(store)[-1].finish_reason == "finished"
    # items_dir is set: Scrapyd's one JSON Lines file per job replaces the project's two files.
    lines = read_jsonl(scrapyd.items(first_job))
    article_urls = [line["url"] for line in lines if "listing" not in line]
    assert sorted(article_urls) == sorted(articles)
    assert {line["url"] for line in lines if "listing" in line} >= cards
    assert not (scrapyd.home / "data" / "articles.jsonl").exists()
    log = scrapyd.log(first_job)
    assert "Spider closed (finished)" in log
    assert error_lines(log) == []


@pytest.mark.scrapyd
def test_a_second_run_requests_nothing(scrapyd: Server, first_job: str) -> None:
    store = scrapyd.home / "data" / "newscrawl.sqlite3"
    job = scheduled_job(scrapyd.schedule("-s", f"NEWSCRAWL_REPLAY={SNAPSHOT}", "-a", "since=2000-01-01"))
    scrapyd.wait_until(job, "finished")
    last = runs(store)[-1]
    assert last.finish_reason == "finished"
    assert last.stats.get("newscrawl/articles/requested", 0) == 0
    assert last.stats["newscrawl/feed_entries"] > 0
    assert error_lines(scrapyd.log(job)) == []
    # The job's items file holds what this run stored: no article.
    assert [line for line in read_jsonl(scrapyd.items(job)) if "listing" not in line] == []

    # scrapy runs: the two runs, oldest first, with what each stored.
    result = subprocess.run(
        [str(BIN / "scrapy"), "runs", "-s", f"NEWSCRAWL_DATA_DIR={store.parent}"],
        cwd=ROOT,
        env=scrapyd.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split()[:4] == ["start", "(UTC)", "duration", "reason"]
    assert len(rows) == len(runs(store)) == 2
    new = [int(row.split()[5]) for row in rows]
    assert new == [len(snapshot_pages(SNAPSHOT)[0]), 0]
    assert [row.split()[3] for row in rows] == ["finished", "finished"]


@pytest.mark.scrapyd
def test_without_items_dir_a_job_appends_to_the_projects_json_lines(
    tmp_path_factory: pytest.TempPathFactory, egg: Path
) -> None:
    # items_dir empty, as in deploy/scrapyd.conf: Scrapyd passes no FEEDS, the project's own apply.
    home = tmp_path_factory.mktemp("scrapyd-plain")
    with running_scrapyd(home, items_dir="") as server:
        deployed = subprocess.run(
            [str(BIN / "scrapyd-deploy"), "remote", "--egg", str(egg), "--version", "1"],
            cwd=ROOT,
            env=server.client_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert deployed.returncode == 0, deployed.stderr
        job = scheduled_job(server.schedule("-s", f"NEWSCRAWL_REPLAY={SNAPSHOT}", "-a", "since=2000-01-01"))
        server.wait_until(job, "finished")
        log = server.log(job)
    articles, cards = snapshot_pages(SNAPSHOT)
    data = home / "data"  # relative to Scrapyd's working directory
    assert sorted(line["url"] for line in read_jsonl(data / "articles.jsonl")) == sorted(articles)
    assert {line["url"] for line in read_jsonl(data / "feed_entries.jsonl")} >= cards
    assert set(stored(data / "newscrawl.sqlite3")) == articles
    assert not (home / "items").exists()
    assert error_lines(log) == []


# -- 4. no overlap ---------------------------------------------------------------------------------------


@pytest.mark.scrapyd
def test_a_run_is_skipped_while_one_is_running(
    scrapyd: Server, deployed: subprocess.CompletedProcess[str]
) -> None:
    data = scrapyd.home / "overlap"
    # Slowed down (one request per second) so that it is surely still running while the rest happens.
    slow = [
        "-s",
        f"NEWSCRAWL_REPLAY={SNAPSHOT}",
        "-s",
        f"NEWSCRAWL_DATA_DIR={data}",
        "-s",
        "DOWNLOAD_DELAY=1",
    ]
    running = scheduled_job(scrapyd.schedule(*slow, "-a", "since=2000-01-01"))
    scrapyd.wait_until(running, "running")
    deadline = time.monotonic() + PATIENCE
    while "Crawling az,en,ru" not in scrapyd.log(running):  # the store is open and locked
        assert time.monotonic() < deadline, scrapyd.log(running)
        time.sleep(0.2)

    skipped = scrapyd.schedule(*slow)
    assert skipped.returncode == 0, skipped.stderr
    assert f"skipped: report_feed job {running} of newscrawl is running" in skipped.stderr
    jobs = scrapyd.jobs()
    assert jobs["pending"] == []
    assert [job["id"] for job in jobs["running"]] == [running]

    # A job queued behind the script's back, on the same store, refuses at start in its own log.
    other = scrapyd.api.call(
        "schedule.json",
        form=[
            ("project", "newscrawl"),
            ("spider", "report_feed"),
            ("setting", f"NEWSCRAWL_REPLAY={SNAPSHOT}"),
            ("setting", f"NEWSCRAWL_DATA_DIR={data}"),
        ],
    )["jobid"]
    scrapyd.wait_until(other, "finished")
    assert scrapyd.state(running) == "running"
    errors = error_lines(scrapyd.log(other))
    assert len(errors) == 1
    assert "another crawl is writing to" in errors[0]
    assert "wait for it or set NEWSCRAWL_SQLITE to another file" in errors[0]
    assert len(runs(data / "newscrawl.sqlite3")) == 1

    scrapyd.api.call("cancel.json", form=[("project", "newscrawl"), ("job", running), ("signal", "KILL")])
    scrapyd.wait_until(running, "finished")


# -- 5. an argument error ---------------------------------------------------------------------------------


@pytest.mark.scrapyd
def test_an_argument_error_is_in_the_jobs_log(
    scrapyd: Server, deployed: subprocess.CompletedProcess[str]
) -> None:
    data = scrapyd.home / "bad-argument"
    job = scheduled_job(
        scrapyd.schedule(
            "-s", f"NEWSCRAWL_REPLAY={SNAPSHOT}", "-s", f"NEWSCRAWL_DATA_DIR={data}", "-a", "lang=xx"
        )
    )
    scrapyd.wait_until(job, "finished")
    errors = error_lines(scrapyd.log(job))
    assert len(errors) == 1
    assert errors[0].endswith("ERROR: lang must be a comma list of az, en, ru (got 'xx'): -a lang=en,ru")
    assert "Traceback" not in scrapyd.log(job)
    assert not data.exists()
    assert not scrapyd.items(job).exists()


@pytest.mark.scrapyd
def test_the_schedule_command_alerts_once_when_every_run_ended_partial(
    scrapyd: Server, deployed: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    # A snapshot copy whose first three article pages answer 500: every run of it ends partial (exit 3).
    snapshot = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT, snapshot)
    articles, _ = snapshot_pages(SNAPSHOT)
    for url in sorted(articles)[:3]:
        sidecar = sidecar_path(snapshot, url)
        sidecar.parent.mkdir(parents=True, exist_ok=True)
        sidecar.write_text(json.dumps({"url": url, "status": 500, "headers": {}}), encoding="utf-8")
    data = scrapyd.home / "stale"
    settings = ["-s", f"NEWSCRAWL_REPLAY={snapshot}", "-s", f"NEWSCRAWL_DATA_DIR={data}"]
    settings += ["-s", "RETRY_TIMES=0"]
    with webhook() as hook:
        # The last K runs all partial raises the alert; K lowered from 3 to 2 to keep the test short.
        env = {"NEWSCRAWL_ALERT_WEBHOOK": hook.url, "NEWSCRAWL_STALE_PARTIAL_RUNS": "2"}
        calls = []
        for _ in range(3):
            result = scrapyd.schedule(*settings, "-a", "since=2000-01-01", env=env)
            calls.append((result, len(hook.posts)))
            scrapyd.wait_until(scheduled_job(result), "finished")
        last = scrapyd.schedule(*settings, env=env)
        scrapyd.wait_until(scheduled_job(last), "finished")
        assert [run.outcome for run in runs(data / "newscrawl.sqlite3")] == ["partial"] * 4
        # Scrapyd lists every one of them as finished, exit code 3 or not.
        finished = {job["id"] for job in scrapyd.jobs()["finished"]}
        assert {scheduled_job(result) for result, _ in calls} <= finished
        # No alert while fewer than two runs had ended; one on the call after the second; none after.
        assert [posts for _, posts in calls] == [0, 0, 1]
        assert len(hook.posts) == 1
    text = str(hook.posts[0]["text"])
    assert hook.posts[0]["content"] == text
    assert "the last 2 runs all ended partial" in text and str(data / "newscrawl.sqlite3") in text
    assert "stale since" in last.stderr  # the same episode, not alerted again


@pytest.mark.scrapyd
def test_the_schedule_command_refuses_wrong_credentials(scrapyd: Server) -> None:
    result = scrapyd.schedule(password="wrong")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"Scrapyd at {scrapyd.url} refused the credentials; set NEWSCRAWL_SCRAPYD_USERNAME" in lines[0]


# -- 6. cancel, then a normal run ------------------------------------------------------------------------


@pytest.mark.scrapyd
def test_cancelled_then_a_normal_run_loses_nothing(
    scrapyd: Server, deployed: subprocess.CompletedProcess[str]
) -> None:
    # Every run here is a normal one, as the timer starts it: no since, the store decides the window.
    def settings(name: str) -> list[str]:
        return ["-s", f"NEWSCRAWL_REPLAY={SNAPSHOT}", "-s", f"NEWSCRAWL_DATA_DIR={scrapyd.home / name}"]

    reference = scheduled_job(scrapyd.schedule(*settings("clean")))
    scrapyd.wait_until(reference, "finished")
    clean = stored(scrapyd.home / "clean" / "newscrawl.sqlite3")
    assert clean

    store = scrapyd.home / "cancelled" / "newscrawl.sqlite3"
    # Slowed down and committing often, so the cancel lands mid-crawl with part of the work stored.
    slow = ["-s", "DOWNLOAD_DELAY=0.05", "-s", "CONCURRENT_REQUESTS=1", "-s", "NEWSCRAWL_SQLITE_BATCH=5"]
    cancelled = scheduled_job(scrapyd.schedule(*settings("cancelled"), *slow))
    deadline = time.monotonic() + PATIENCE
    while len(stored(store)) < 10:
        assert scrapyd.state(cancelled) != "finished", scrapyd.log(cancelled)
        assert time.monotonic() < deadline, scrapyd.log(cancelled)
        time.sleep(0.05)
    answer = scrapyd.api.call("cancel.json", form=[("project", "newscrawl"), ("job", cancelled)])
    assert answer["prevstate"] == "running"  # Scrapyd sends SIGINT
    scrapyd.wait_until(cancelled, "finished")
    assert 0 < len(stored(store)) < len(clean)
    assert runs(store)[-1].finish_reason == "shutdown"

    normal = scheduled_job(scrapyd.schedule(*settings("cancelled")))
    scrapyd.wait_until(normal, "finished")
    assert runs(store)[-1].finish_reason == "finished"
    assert stored(store) == clean
    jsonl = read_jsonl(scrapyd.items(cancelled)) + read_jsonl(scrapyd.items(normal))
    assert {line["url"] for line in jsonl if "listing" not in line} == set(clean)
    assert error_lines(scrapyd.log(normal)) == []
