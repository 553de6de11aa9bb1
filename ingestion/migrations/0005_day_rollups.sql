-- Per-day rollups for range and team reports, and the server's category rules (issue 17).
--
-- status_days: seconds per employee, local day, zone, device and status. The day is the local date,
-- in the heartbeat's own zone, of each 15-minute slot (UTC -> local has no ambiguity, so every slot
-- lies in exactly one local day, also on DST days). A report in the employee's current zone Z reads
-- the rows with tz = Z; when the range also holds rows of another zone (the employee travelled),
-- it falls back to the 15-minute rollups (ingestion/reports/queries.py), so figures stay exact.
-- Zones PostgreSQL does not know are stored as 'UTC' (and thus never match a report's zone).

CREATE TABLE known_zones (name text PRIMARY KEY);
INSERT INTO known_zones SELECT DISTINCT name FROM pg_timezone_names;

CREATE TABLE status_days (
    emp_id    integer NOT NULL,
    day       date NOT NULL,
    tz        text NOT NULL,
    device_id bigint NOT NULL,
    status    text NOT NULL,
    seconds   double precision NOT NULL,
    -- seconds in the key's index: a team's 30 days (50 x 30 x 3 rows) are an index-only scan
    PRIMARY KEY (emp_id, day, tz, device_id, status) INCLUDE (seconds)
);

-- Rollups of heartbeats stored before this migration.
INSERT INTO status_days (emp_id, day, tz, device_id, status, seconds)
SELECT h.emp_id, (q AT TIME ZONE coalesce(z.name, 'UTC'))::date, coalesce(z.name, 'UTC'), h.device_id, h.status,
       sum(extract(epoch FROM least(h.ended_at, q + interval '15 minutes') - greatest(h.started_at, q)))
FROM heartbeats h
LEFT JOIN known_zones z ON z.name = h.tz,
     generate_series(date_bin('15 minutes', h.started_at, 'epoch'), h.ended_at, interval '15 minutes') q
WHERE least(h.ended_at, q + interval '15 minutes') > greatest(h.started_at, q)
GROUP BY 1, 2, 3, 4, 5;

-- Categories of applications and domains, for the reports' top lists: ordered rules in the desktop
-- app's format (app/monitor/categorize.py): a case-insensitive regex on the process name or on the
-- domain, the first match wins, no match means neutral. Admins edit them with
-- `wfh-ingest category-rules`; the defaults are the desktop app's default rules.
CREATE TABLE category_rules (
    position   integer PRIMARY KEY CHECK (position >= 1),
    field      text NOT NULL CHECK (field IN ('app', 'domain')),
    pattern    text NOT NULL CHECK (char_length(pattern) BETWEEN 1 AND 1000),
    category   text NOT NULL CHECK (category IN ('productive', 'unproductive', 'neutral')),
    name       text CHECK (char_length(name) <= 128),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO category_rules (position, field, pattern, category, name) VALUES
(1, 'app', '^(code|code-oss|codium|pycharm.*|idea.*|clion.*|goland.*|webstorm.*|rider.*|studio.*|sublime_text|subl|vim|nvim|gvim|emacs|kate|gedit|devenv|xcode)(\.exe)?$', 'productive', 'Development'),
(2, 'app', '^(gnome-terminal.*|konsole|xterm|alacritty|kitty|wezterm.*|tilix|terminator|windowsterminal|wt|cmd|powershell|pwsh|iterm2|terminal)(\.exe)?$', 'productive', 'Terminal'),
(3, 'domain', '(^|\.)(github\.com|gitlab\.com|bitbucket\.org|stackoverflow\.com|stackexchange\.com|readthedocs\.io|python\.org|developer\.mozilla\.org|docs\.google\.com|atlassian\.net|notion\.so|figma\.com)$', 'productive', 'Work web'),
(4, 'app', '^(soffice.*|libreoffice.*|winword|excel|powerpnt|onenote|outlook|thunderbird|evince|okular|acrord32|acrobat)(\.exe)?$', 'productive', 'Office'),
(5, 'app', '^(slack|teams|ms-teams|zoom|discord|skype|signal|telegram.*|element)(\.exe)?$', 'neutral', 'Communication'),
(6, 'domain', '(^|\.)(mail\.google\.com|outlook\.office\.com|outlook\.live\.com|slack\.com|teams\.microsoft\.com|meet\.google\.com|zoom\.us)$', 'neutral', 'Communication'),
(7, 'domain', '(^|\.)(youtube\.com|netflix\.com|twitch\.tv|primevideo\.com|disneyplus\.com|facebook\.com|instagram\.com|tiktok\.com|twitter\.com|x\.com|reddit\.com|9gag\.com|pinterest\.com)$', 'unproductive', 'Entertainment & social'),
(8, 'app', '^(steam|spotify|vlc|mpv|totem|epicgameslauncher|netflix)(\.exe)?$', 'unproductive', 'Entertainment');

-- Sync health reads each device's last 24 hours of ingest_log: without this index it walked the
-- device's whole history through the primary key (one row per batch, millions in a fleet).
CREATE INDEX ingest_log_device_received_idx ON ingest_log (device_id, received_at) INCLUDE (record_count, rejected);

-- The rollups are derived from heartbeats, whose own foreign key already proves the device exists
-- (and devices are never deleted): checking it again for every rollup upsert was a fifth of the
-- rollups' cost in the ingest statement.
ALTER TABLE status_quarters DROP CONSTRAINT IF EXISTS status_quarters_device_id_fkey;
ALTER TABLE app_quarters DROP CONSTRAINT IF EXISTS app_quarters_device_id_fkey;
ALTER TABLE domain_quarters DROP CONSTRAINT IF EXISTS domain_quarters_device_id_fkey;
