"""newscrawl: a polite, incremental Scrapy crawler for report.az in Azerbaijani, English and Russian."""
