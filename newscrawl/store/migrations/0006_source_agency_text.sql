-- Item schema 2.0 (docs/schema-changelog.md). The credit as the edition words it ("Yonhap News Agency",
-- "агентство Рёнхап") is kept beside its canonical name. An absent scalar is NULL, never '': the articles
-- that Report itself is the source of had source_agency = ''. A list is never NULL: images was NULL where
-- the body came from JSON-LD. Content hashes stay as they are (newscrawl/store/articles.py hashes the
-- empties in their old spelling), so these rows are not re-versioned.
ALTER TABLE articles ADD COLUMN source_agency_text TEXT;
UPDATE articles SET source_agency = NULL WHERE source_agency = '';
UPDATE articles SET images = '[]' WHERE images IS NULL;
