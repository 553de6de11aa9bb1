-- Range reports (issue 15): a covering index over each task's own report day, so a report of one week
-- or one year reads only the index entries of its days instead of every task (the columns after the day
-- make it covering: no table row is read).
-- The day is date_audited when it is an ISO date, else the day of time_begin, else NULL (the report then
-- falls back to the week's start_date and created_at: app/storage/report_queries.py, app/domain/reports.py).
-- The expression must stay identical to report_queries.OWN_DAY for SQLite to use this index.
CREATE INDEX idx_tasks_report_day ON tasks_optimized(
    (CASE
        WHEN date_audited GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]*' THEN substr(date_audited, 1, 10)
        WHEN time_begin GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]*' THEN substr(time_begin, 1, 10)
    END),
    week_id, project_name, locale, duration_seconds, score, time_limit_seconds, date_audited, time_begin, deleted_at
) WHERE deleted_at IS NULL;
