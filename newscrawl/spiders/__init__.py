"""Spiders. Each module is named after its spider (``report_feed`` -> ``ReportFeedSpider``)."""
