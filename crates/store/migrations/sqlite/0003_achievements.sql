-- Achievements (科技成果) filed by units and technical demands (技术需求) posted by enterprises.
-- Lists (keywords, industrial chains, transformation modes, completers) are TEXT of the form
-- ';a;b;' so that one `LIKE '%;code;%'` filters them on both databases; '' is the empty list.
-- Money is integer fen; NULL price / budget = negotiable / not given.

CREATE TABLE achievements (
    id             INTEGER PRIMARY KEY,
    owner_org_id   INTEGER NOT NULL REFERENCES organizations (id),
    ref            TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    abstract       TEXT    NOT NULL DEFAULT '',
    keywords       TEXT    NOT NULL DEFAULT '',
    category       TEXT    NOT NULL,
    stage          TEXT,
    trl            INTEGER,
    attribute      TEXT,
    level          TEXT,
    ip_type        TEXT,
    ip_numbers     TEXT    NOT NULL DEFAULT '',
    discipline     TEXT    NOT NULL DEFAULT '',
    tech_field     TEXT,
    chains         TEXT    NOT NULL DEFAULT '',
    chain_version  TEXT    NOT NULL,
    modes          TEXT    NOT NULL DEFAULT '',
    price_fen      INTEGER,
    completers     TEXT    NOT NULL DEFAULT '',
    period_start   TEXT,
    period_end     TEXT,
    contact_name   TEXT    NOT NULL DEFAULT '',
    contact_phone  TEXT    NOT NULL DEFAULT '',
    contact_email  TEXT    NOT NULL DEFAULT '',
    visibility     TEXT    NOT NULL DEFAULT 'public',
    status         TEXT    NOT NULL DEFAULT 'draft',
    return_reason  TEXT    NOT NULL DEFAULT '',
    returned_count INTEGER NOT NULL DEFAULT 0,
    submitted_at   TEXT,
    published_at   TEXT,
    fresh_at       TEXT    NOT NULL,
    completeness   INTEGER NOT NULL DEFAULT 0,
    is_demo        INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    CONSTRAINT achievements_owner_ref UNIQUE (owner_org_id, ref)
);
CREATE INDEX achievements_status ON achievements (status, fresh_at);
CREATE INDEX achievements_published ON achievements (published_at);

CREATE TABLE demands (
    id               INTEGER PRIMARY KEY,
    owner_org_id     INTEGER NOT NULL REFERENCES organizations (id),
    ref              TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    keywords         TEXT    NOT NULL DEFAULT '',
    chain            TEXT,
    chain_version    TEXT    NOT NULL,
    tech_field       TEXT,
    budget_min_fen   INTEGER,
    budget_max_fen   INTEGER,
    deadline         TEXT,
    cooperation_mode TEXT,
    district         TEXT    NOT NULL,
    visibility       TEXT    NOT NULL DEFAULT 'public',
    contact_name     TEXT    NOT NULL DEFAULT '',
    contact_phone    TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL DEFAULT 'draft',
    published_at     TEXT,
    is_demo          INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    CONSTRAINT demands_owner_ref UNIQUE (owner_org_id, ref)
);
CREATE INDEX demands_status ON demands (status, deadline);
CREATE INDEX demands_district ON demands (district);
