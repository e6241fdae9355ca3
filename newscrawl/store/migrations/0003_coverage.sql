-- What the walks covered, per listing: the default window of a run starts where this coverage ends,
-- never at the clock of the last run (a run that finished with gaps must not move the window past them).
-- covered_from .. covered_until is one unbroken stretch of publishing times whose cards were all read
-- by complete walks (their articles stored, or owed in failures); first_clock is the clock of the first
-- run that walked the listing; rechecked_at the clock of its last complete re-walk of the correction
-- window (late headline corrections).
CREATE TABLE coverage (
    language TEXT NOT NULL,
    listing TEXT NOT NULL,
    first_clock TEXT NOT NULL,
    covered_from TEXT,
    covered_until TEXT,
    rechecked_at TEXT,
    PRIMARY KEY (language, listing)
);
-- A store made before this table: its complete walks stand for a coverage up to the last of them.
INSERT INTO coverage (language, listing, first_clock, covered_from, covered_until)
SELECT w.language, w.listing, min(r.clock),
       min(CASE WHEN w.complete = 1 THEN w.floor END),
       max(CASE WHEN w.complete = 1 THEN r.clock END)
FROM walks w JOIN runs r ON r.id = w.run_id
WHERE r.clock IS NOT NULL
GROUP BY w.language, w.listing;
ALTER TABLE walks ADD COLUMN recheck INTEGER NOT NULL DEFAULT 0;
