"""Alerts at the end of a run, through spidermon's actions: a webhook, an email, an HTML report file.

The suite (newscrawl/monitors.py) runs the webhook and the email once per run in which a monitor failed;
the ``Outcome`` monitor fails for every outcome but ``complete``, so a partial, blocked or unreachable
run alerts too, and a clean run sends nothing. Each channel is switched on by its own setting (or the
environment variable of the same name):

- **webhook**, on when ``NEWSCRAWL_ALERT_WEBHOOK`` is a URL: spidermon's
  ``SendDiscordMessageSpiderFinished``, one POST whose JSON holds ``text`` (Slack, Mattermost) and
  ``content`` (Discord);
- **email**, on when ``SPIDERMON_SMTP_HOST`` is set (``SPIDERMON_SMTP_USER``, ``SPIDERMON_SMTP_PASSWORD``
  and ``SPIDERMON_EMAIL_TO`` are then required): spidermon's ``SendSmtpEmail``;
- **report file**, on with ``NEWSCRAWL_ALERT_REPORT``: spidermon's ``CreateFileReport``, after every run,
  next to the job's log.

The message is the same in every channel (:meth:`Alert.text`).
"""

from __future__ import annotations

import os
import smtplib
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import BaseSettings
from spidermon.contrib.actions.discord.notifiers import SendDiscordMessageSpiderFinished
from spidermon.contrib.actions.reports.files import CreateFileReport

from newscrawl.addon import store_path
from newscrawl.exceptions import NewscrawlError
from newscrawl.extensions import loss_line

# spidermon 1.27.0's SMTP action imports scrapy.mail, deprecated in Scrapy 2.19: a warning in every
# crawl's log that says nothing about the crawl. The action here sends with smtplib.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"The scrapy\.mail module is deprecated", ScrapyDeprecationWarning)
    from spidermon.contrib.actions.email.smtp import SendSmtpEmail

# Discord refuses a message longer than this many characters; Slack and Mattermost take more.
DISCORD_LIMIT = 2000
WEBHOOK_TIMEOUT = 30.0  # seconds
SMTP_TIMEOUT = 30.0  # seconds


class AlertSettingsError(NewscrawlError, ValueError):
    """An alert channel switched on without the settings it needs."""


@dataclass(frozen=True)
class Alert:
    """What an alert says about a run."""

    spider: str
    job: str | None
    started: str  # UTC, "YYYY-MM-DD HH:MM:SS"
    duration: str
    outcome: str
    failed: tuple[tuple[str, str], ...]  # (monitor, its one-line message)
    losses: str  # the loss counters by reason (newscrawl.extensions.loss_line)
    log: str  # where the run's log is

    def subject(self) -> str:
        """
        >>> Alert("report_feed", None, "2026-01-29 17:00:00", "42s", "partial", (("Outcome", "x"),), "",
        ...       "stderr").subject()
        'newscrawl: report_feed partial, 1 monitor failed'
        """
        count = len(self.failed)
        return f"newscrawl: {self.spider} {self.outcome}, {count} monitor{'s' if count != 1 else ''} failed"

    def text(self) -> str:
        """The message, one fact per line.

        >>> print(Alert("report_feed", "abc1", "2026-01-29 17:00:00", "42s", "partial",
        ...             (("Outcome/The run ends complete", "the run ended partial"),),
        ...             "failed: http_5xx 3", "/var/log/x.log").text())
        newscrawl: report_feed partial, 1 monitor failed
        run: report_feed, job abc1, started 2026-01-29 17:00:00 UTC, took 42s
        outcome: partial
        failed monitors:
        - Outcome/The run ends complete: the run ended partial
        losses by reason: failed: http_5xx 3
        log: /var/log/x.log
        """
        job = f", job {self.job}" if self.job else ""
        lines = [
            self.subject(),
            f"run: {self.spider}{job}, started {self.started} UTC, took {self.duration}",
            f"outcome: {self.outcome}",
            "failed monitors:" if self.failed else "failed monitors: none",
            *(f"- {name}: {message}" for name, message in self.failed),
            f"losses by reason: {self.losses or 'none'}",
            f"log: {self.log}",
        ]
        return "\n".join(lines)


def one_line(reason: Any) -> str:
    """A monitor's failure as one line: the message without unittest's traceback and prefix.

    >>> one_line('Traceback (most recent call last):\\n  File "x"\\nAssertionError: coverage dropped: author')
    'coverage dropped: author'
    """
    lines = str(reason).strip().splitlines() or [""]
    # unittest puts the traceback and "AssertionError: " before the message.
    return lines[-1].removeprefix("AssertionError: ")


def alert_from(data: Any, result: Any) -> Alert:
    """The alert of a run, from spidermon's data (stats, crawler, spider) and the monitors' result."""
    stats = data.stats
    spider = data.spider
    started = stats.get("start_time")
    finished = stats.get("finish_time")
    duration = "-"
    if isinstance(started, datetime) and isinstance(finished, datetime):
        duration = _duration((finished - started).total_seconds())
    failed = tuple((item.monitor.name, one_line(item.reason)) for item in result.monitors_failed_results)
    return Alert(
        spider=spider.name,
        job=getattr(spider, "_job", None) or os.environ.get("SCRAPY_JOB") or None,
        started=started.strftime("%Y-%m-%d %H:%M:%S") if isinstance(started, datetime) else "-",
        duration=duration,
        outcome=str(stats.get("newscrawl/outcome") or stats.get("finish_reason") or "unknown"),
        failed=failed,
        losses=loss_line(stats),
        log=log_location(data.crawler.settings, stats),
    )


def log_location(settings: BaseSettings, stats: Any = None) -> str:
    """Where the run's log is: ``LOG_FILE`` (Scrapyd sets it per job), else the crawl's stderr."""
    log_file = settings.get("LOG_FILE")
    if log_file:
        return str(Path(log_file).resolve())
    return f"stderr of the crawl (no LOG_FILE); its stats are in the runs table of {store_path(settings)}"


def _duration(seconds: float) -> str:
    """
    >>> _duration(42.4), _duration(187), _duration(7322)
    ('42s', '3m07s', '2h02m')
    """
    total = int(max(0.0, seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class WebhookAlert(SendDiscordMessageSpiderFinished):
    """One POST to ``NEWSCRAWL_ALERT_WEBHOOK`` with ``{"text": ..., "content": ...}``."""

    @classmethod
    def from_crawler_kwargs(cls, crawler: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().from_crawler_kwargs(crawler)
        kwargs["webhook_url"] = crawler.settings.get("NEWSCRAWL_ALERT_WEBHOOK")
        return kwargs

    def run_action(self) -> None:
        # spidermon's Discord manager posts {"content": ...} only; Slack and Mattermost read "text".
        text = alert_from(self.data, self.result).text()
        body = {"text": text, "content": text[:DISCORD_LIMIT]}
        response = requests.post(self.manager.webhook_url, json=body, timeout=WEBHOOK_TIMEOUT)
        response.raise_for_status()


class EmailAlert(SendSmtpEmail):
    """One plain-text email over SMTP with login (``SPIDERMON_SMTP_*``, ``SPIDERMON_EMAIL_*``)."""

    @classmethod
    def from_crawler_kwargs(cls, crawler: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().from_crawler_kwargs(crawler)
        kwargs["subject"] = kwargs.get("subject") or "newscrawl alert"  # replaced by the alert's own
        return kwargs

    def get_subject(self) -> str:
        return alert_from(self.data, self.result).subject()

    def get_body_text(self) -> str:
        return alert_from(self.data, self.result).text()

    def get_body_html(self) -> str:
        return ""

    def send_message(self, message: Any, **kwargs: Any) -> None:
        # spidermon 1.27.0 hands the whole MIME message to Scrapy's MailSender as the body text (the
        # reader would see its headers), and scrapy.mail is deprecated: smtplib sends the message itself,
        # at once, as spidermon's webhook actions do with requests.
        smtp = smtplib.SMTP_SSL if self.smtp_enforce_ssl else smtplib.SMTP
        with smtp(self.smtp_host, self.smtp_port, timeout=SMTP_TIMEOUT) as server:
            if self.smtp_enforce_tls and not self.smtp_enforce_ssl:
                server.starttls()
            server.login(self.smtp_user, self.smtp_password)
            server.send_message(message, self.sender, [*self.to, *(self.cc or []), *(self.bcc or [])])


class FileReport(CreateFileReport):
    """spidermon's HTML report of the monitors, written after every run next to the job's log."""

    template = "reports/email/monitors/result.jinja"

    @classmethod
    def from_crawler_kwargs(cls, crawler: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().from_crawler_kwargs(crawler)
        kwargs["filename"] = kwargs.get("filename") or str(report_path(crawler.settings))
        return kwargs


def report_path(settings: BaseSettings) -> Path:
    """``<job log>.html`` beside ``LOG_FILE``; without one, ``report.html`` beside the store."""
    log_file = settings.get("LOG_FILE")
    if log_file:
        return Path(log_file).with_suffix(".html")
    return Path(store_path(settings)).with_name("report.html")


def alert_actions(settings: BaseSettings | None) -> list[type]:
    """The alert actions the settings switch on; an email channel missing what it needs stops the
    crawl at start with one sentence rather than failing silently at the end."""
    if settings is None:
        return []
    actions: list[type] = []
    if settings.get("NEWSCRAWL_ALERT_WEBHOOK"):
        actions.append(WebhookAlert)
    if settings.get("SPIDERMON_SMTP_HOST"):
        missing = [
            name
            for name in ("SPIDERMON_SMTP_USER", "SPIDERMON_SMTP_PASSWORD", "SPIDERMON_EMAIL_TO")
            if not settings.get(name)
        ]
        if missing:
            raise AlertSettingsError(
                f"SPIDERMON_SMTP_HOST is set but {', '.join(missing)} is not; set it (in the environment or "
                "with -s), or unset SPIDERMON_SMTP_HOST to send no email"
            )
        actions.append(EmailAlert)
    return actions


def report_actions(settings: BaseSettings | None) -> list[type]:
    """The report file action, when ``NEWSCRAWL_ALERT_REPORT`` switches it on (run after every run)."""
    if settings is not None and settings.getbool("NEWSCRAWL_ALERT_REPORT"):
        return [FileReport]
    return []
