"""Spiders. Each module is named after its spider (``report_feed`` -> ``ReportFeedSpider``)."""

from __future__ import annotations


class ArgumentError(ValueError):
    """A spider argument that cannot be used; the message is one sentence naming the valid values."""
