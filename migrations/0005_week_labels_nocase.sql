-- Week labels unique regardless of case (issue 15: "2026-w48" beside "2026-W48"), and a change counter
-- for weeks and tasks that another process (the task CLI) bumps so an open window refreshes.
--
-- 1. Existing case-collisions are resolved first, losing nothing: the oldest week (lowest id) keeps
--    its label, each later one gets " (2)", " (3)", … appended (its tasks stay with it).
--    A name that is already taken (someone typed "X (2)" before) gets the week's id instead: "X #7".
--    The new names are worked out on a snapshot first, so one rename cannot change the next one's count.
CREATE TEMP TABLE week_label_fix AS
SELECT id, CASE WHEN EXISTS (SELECT 1 FROM weeks AS taken WHERE taken.week_label = candidate COLLATE NOCASE)
                THEN week_label || ' #' || id ELSE candidate END AS new_label
FROM (
    SELECT id, week_label, week_label || ' (' || (
               SELECT COUNT(*) + 1 FROM weeks AS older
               WHERE older.week_label = weeks.week_label COLLATE NOCASE AND older.id < weeks.id
           ) || ')' AS candidate
    FROM weeks
    WHERE EXISTS (SELECT 1 FROM weeks AS older
                  WHERE older.week_label = weeks.week_label COLLATE NOCASE AND older.id < weeks.id)
);
UPDATE weeks SET week_label = (SELECT new_label FROM week_label_fix WHERE week_label_fix.id = weeks.id)
WHERE id IN (SELECT id FROM week_label_fix);
DROP TABLE week_label_fix;

-- 2. ISO-week labels are written the one way: "2026-w48" becomes "2026-W48".
UPDATE weeks SET week_label = upper(week_label)
WHERE week_label GLOB '[0-9][0-9][0-9][0-9]-[wW][0-9][0-9]' AND week_label <> upper(week_label);

CREATE UNIQUE INDEX idx_weeks_label_nocase ON weeks(week_label COLLATE NOCASE);

-- 3. One row, bumped once by every write transaction of weeks or tasks (DataService, imports), from any
--    process. A window polls PRAGMA data_version (free) and, when it moved, this value (one row) to tell
--    a task change by the CLI from the monitor's own writes.
CREATE TABLE data_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL DEFAULT 0
);
INSERT INTO data_generation (id, value) VALUES (1, 0);
