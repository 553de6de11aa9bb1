-- Weeks with dates (issue 15): the calendar day a week starts on, so weeks sort chronologically and
-- show "2026-W48 · Nov 23–29". NULL for a week whose label is not an ISO week and that nobody dated.
-- Backfilled for ISO labels (YYYY-Www, any case): the Monday of ISO week ww is the Monday of the week
-- holding 4 January, plus (ww - 1) weeks.
ALTER TABLE weeks ADD COLUMN start_date DATE;

UPDATE weeks
SET start_date = date(
        substr(week_label, 1, 4) || '-01-04',
        '-' || ((CAST(strftime('%w', substr(week_label, 1, 4) || '-01-04') AS INTEGER) + 6) % 7) || ' days',
        '+' || ((CAST(substr(week_label, 7, 2) AS INTEGER) - 1) * 7) || ' days'
    )
WHERE length(week_label) = 8
  AND substr(week_label, 1, 4) GLOB '[0-9][0-9][0-9][0-9]'
  AND substr(week_label, 5, 2) IN ('-W', '-w')
  AND substr(week_label, 7, 2) GLOB '[0-9][0-9]'
  AND CAST(substr(week_label, 7, 2) AS INTEGER) BETWEEN 1 AND 53;

CREATE INDEX idx_weeks_start_date ON weeks(start_date);
