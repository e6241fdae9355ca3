"""Alerts sent without a spider run (a stale store, a crawl refused at start), with the standard library.

spidermon's actions report on a run's monitors, and there are none when the scheduler finds the store
stale or a crawl stops before its spider opens. These go out through the same channels and settings as
the crawl's alerts (newscrawl/alerts.py): the webhook ``NEWSCRAWL_ALERT_WEBHOOK`` (one POST with ``text``
and ``content``) and the email ``SPIDERMON_SMTP_*`` / ``SPIDERMON_EMAIL_*``.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

logger = logging.getLogger(__name__)

TIMEOUT = 30.0  # seconds per webhook or SMTP exchange
DISCORD_LIMIT = 2000  # characters Discord takes in "content"
CHANNEL_SETTINGS = (
    "NEWSCRAWL_ALERT_WEBHOOK",
    "SPIDERMON_SMTP_HOST",
    "SPIDERMON_SMTP_PORT",
    "SPIDERMON_SMTP_USER",
    "SPIDERMON_SMTP_PASSWORD",
    "SPIDERMON_SMTP_ENFORCE_TLS",
    "SPIDERMON_EMAIL_SENDER",
    "SPIDERMON_EMAIL_TO",
)


def channels(settings: Any) -> dict[str, str]:
    """The channel settings of a Scrapy settings object as strings, as the environment would give them.

    >>> from scrapy.settings import Settings
    >>> channels(Settings({"SPIDERMON_SMTP_ENFORCE_TLS": False, "SPIDERMON_SMTP_PORT": 25}))
    {'SPIDERMON_SMTP_PORT': '25', 'SPIDERMON_SMTP_ENFORCE_TLS': '0'}
    """
    values = {}
    for name in CHANNEL_SETTINGS:
        value = settings.get(name)
        if isinstance(value, bool):
            values[name] = "1" if value else "0"
        elif value not in (None, ""):
            values[name] = ", ".join(value) if isinstance(value, list | tuple) else str(value)
    return values


def notify(subject: str, text: str, environ: Mapping[str, str]) -> bool:
    """Send through the webhook and the email the environment switches on; True when one went out."""
    sent = False
    webhook = environ.get("NEWSCRAWL_ALERT_WEBHOOK")
    if webhook:
        body = json.dumps({"text": text, "content": text[:DISCORD_LIMIT]}).encode("utf-8")
        request = urllib.request.Request(webhook, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT):
                sent = True
        except OSError as exc:
            logger.error("the staleness alert could not be posted to the webhook: %s", exc)
    host = environ.get("SPIDERMON_SMTP_HOST")
    if host:
        try:
            _email(host, subject, text, environ)
            sent = True
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            logger.error("the staleness alert could not be emailed through %s: %s", host, exc)
    if not webhook and not host:
        logger.warning("no alert channel is set (NEWSCRAWL_ALERT_WEBHOOK, SPIDERMON_SMTP_HOST)")
    return sent


def _email(host: str, subject: str, text: str, environ: Mapping[str, str]) -> None:
    to = [a.strip() for a in (environ.get("SPIDERMON_EMAIL_TO") or "").split(",") if a.strip()]
    user, password = environ.get("SPIDERMON_SMTP_USER"), environ.get("SPIDERMON_SMTP_PASSWORD")
    if not (to and user and password):
        raise ValueError("SPIDERMON_SMTP_USER, SPIDERMON_SMTP_PASSWORD and SPIDERMON_EMAIL_TO must be set")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = environ.get("SPIDERMON_EMAIL_SENDER") or "newscrawl@localhost"
    message["To"] = ", ".join(to)
    message.set_content(text)
    port = int(environ.get("SPIDERMON_SMTP_PORT") or 587)
    tls = environ.get("SPIDERMON_SMTP_ENFORCE_TLS", "1") not in ("0", "false", "")
    with smtplib.SMTP(host, port, timeout=TIMEOUT) as server:
        if tls:
            server.starttls()
        server.login(user, password)
        server.send_message(message)
