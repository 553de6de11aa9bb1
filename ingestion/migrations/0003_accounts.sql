-- People accounts for the web dashboard and the reports API (separate from device keys):
-- teams, users with roles, one-time set-password tokens, revocable sessions and login throttling.

CREATE TABLE teams (
    team_id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 100),
    blur_screenshots boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE employees ADD COLUMN team_id integer REFERENCES teams (team_id);
CREATE INDEX employees_team_idx ON employees (team_id);

CREATE TABLE users (
    user_id       integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL UNIQUE CHECK (email = lower(email) AND char_length(email) BETWEEN 3 AND 254),
    role          text NOT NULL CHECK (role IN ('admin', 'manager', 'employee')),
    emp_id        integer UNIQUE REFERENCES employees (emp_id),
    password_hash text,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'employee' OR emp_id IS NOT NULL)
);

CREATE TABLE team_managers (
    user_id integer NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    team_id integer NOT NULL REFERENCES teams (team_id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, team_id)
);

CREATE TABLE password_tokens (
    token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id    integer NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

CREATE TABLE web_sessions (
    session_hash bytea PRIMARY KEY CHECK (octet_length(session_hash) = 32),
    user_id      integer NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    client_addr  text,
    user_agent   text CHECK (char_length(user_agent) <= 256)
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);

-- Consecutive login failures per subject ('account:<email>' or 'address:<ip>'), shared by all workers.
CREATE TABLE login_throttle (
    subject      text PRIMARY KEY,
    failures     integer NOT NULL,
    locked_until timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
