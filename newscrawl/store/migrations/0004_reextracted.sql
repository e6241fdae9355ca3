-- Why the current version of an article was made: NULL when a crawl fetched a changed page, 'reextracted'
-- when `scrapy reextract` parsed an archived page again with a changed parser (newscrawl/warc/).
ALTER TABLE articles ADD COLUMN change_reason TEXT;
