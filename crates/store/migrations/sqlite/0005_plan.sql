-- The plan as data (issue #6): versioned plans with their objectives, tasks and responsible
-- departments; task status and progress reports; reported indicator values (every entry kept, the
-- latest counts); district targets set by the bureau. Figures are decimal text (yuan, counts,
-- percent), so that both databases read them alike.

CREATE TABLE plans (
    id        INTEGER PRIMARY KEY,
    plan_key  TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    title     TEXT    NOT NULL,
    -- The file as loaded, and the checked plan as JSON.
    source    TEXT    NOT NULL,
    content   TEXT    NOT NULL,
    loaded_by TEXT    NOT NULL,
    loaded_at TEXT    NOT NULL,
    UNIQUE (plan_key, version)
);

CREATE TABLE plan_objectives (
    id              INTEGER PRIMARY KEY,
    plan_id         INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    objective_key   TEXT    NOT NULL,
    name_zh         TEXT    NOT NULL,
    name_en         TEXT    NOT NULL,
    unit            TEXT    NOT NULL,
    direction       TEXT    NOT NULL,
    measurement     TEXT    NOT NULL,
    metric          TEXT,
    per_district    INTEGER NOT NULL DEFAULT 0,
    district_weight TEXT    NOT NULL DEFAULT '0',
    -- {"2022": "36000000000", …}
    targets         TEXT    NOT NULL,
    UNIQUE (plan_id, objective_key)
);

CREATE TABLE plan_tasks (
    id       INTEGER PRIMARY KEY,
    plan_id  INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    number   INTEGER NOT NULL,
    section  TEXT    NOT NULL DEFAULT '',
    title_zh TEXT    NOT NULL,
    title_en TEXT    NOT NULL DEFAULT '',
    body     TEXT    NOT NULL DEFAULT '',
    UNIQUE (plan_id, number)
);

CREATE TABLE plan_task_departments (
    task_id        INTEGER NOT NULL REFERENCES plan_tasks (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    department_key TEXT    NOT NULL,
    name_zh        TEXT    NOT NULL,
    name_en        TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (task_id, position)
);

-- Task status and progress survive a reloaded plan: they are keyed by plan key and task number.
CREATE TABLE task_states (
    plan_key    TEXT    NOT NULL,
    task_number INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    updated_by  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (plan_key, task_number)
);

CREATE TABLE task_reports (
    id             INTEGER PRIMARY KEY,
    plan_key       TEXT    NOT NULL,
    task_number    INTEGER NOT NULL,
    department_key TEXT    NOT NULL,
    report_date    TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    figures        TEXT    NOT NULL DEFAULT '',
    -- JSON array of file names.
    attachments    TEXT    NOT NULL DEFAULT '[]',
    author         TEXT    NOT NULL,
    org_id         INTEGER REFERENCES organizations (id),
    created_at     TEXT    NOT NULL
);
CREATE INDEX task_reports_task ON task_reports (plan_key, task_number, report_date);

-- Every entry is kept; the latest (highest id) of an (indicator, year, division) is its value.
CREATE TABLE indicator_values (
    id              INTEGER PRIMARY KEY,
    indicator_key   TEXT    NOT NULL,
    year            INTEGER NOT NULL,
    division_code   TEXT    NOT NULL,
    value           TEXT    NOT NULL,
    source_document TEXT    NOT NULL,
    source_date     TEXT    NOT NULL,
    note            TEXT    NOT NULL DEFAULT '',
    entered_by      TEXT    NOT NULL,
    entered_at      TEXT    NOT NULL
);
CREATE INDEX indicator_values_key ON indicator_values (indicator_key, year, division_code, id);

CREATE TABLE district_targets (
    indicator_key TEXT    NOT NULL,
    year          INTEGER NOT NULL,
    division_code TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    set_by        TEXT    NOT NULL,
    set_at        TEXT    NOT NULL,
    PRIMARY KEY (indicator_key, year, division_code)
);
