"""Project commands (``COMMANDS_MODULE``): Scrapy's own verbs, made stricter for newscrawl."""
