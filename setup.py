# Kept only for scrapyd-deploy, which builds an egg with setuptools; pyproject.toml holds the rest.
from setuptools import find_packages, setup

setup(
    name="newscrawl",
    version="0.1.0",
    packages=find_packages(include=["newscrawl", "newscrawl.*"]),
    # Read at run time: the store's migrations.
    package_data={"newscrawl": ["py.typed"], "newscrawl.store": ["migrations/*.sql"]},
    entry_points={"scrapy": ["settings = newscrawl.settings"]},
)
