"""pytest setup shared by tests/ and the doctests in newscrawl/."""

from scrapy.utils.reactor import install_reactor

# Scrapy's test helpers (get_crawler) need the reactor that settings.py names installed up front.
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
