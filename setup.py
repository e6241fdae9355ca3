# Kept only for scrapyd-deploy, which builds an egg with setuptools; pyproject.toml holds the rest.
from setuptools import find_packages, setup

setup(
    name="newscrawl",
    version="0.1.0",
    # Only the crawler: not sitesim/ (the site simulator), fixtures/, tests/ or bench/, which import it
    # but which it never imports (tests/test_scrapyd.py imports every module of the egg on its own).
    packages=find_packages(include=["newscrawl", "newscrawl.*"]),
    # Read at run time: the store's migrations and the item schemas.
    package_data={
        "newscrawl": ["py.typed"],
        "newscrawl.store": ["migrations/*.sql"],
        "newscrawl.schemas": ["*.json"],
    },
    entry_points={"scrapy": ["settings = newscrawl.settings"]},
)
