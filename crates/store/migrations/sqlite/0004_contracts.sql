-- Technology contracts (技术合同) and their registration (认定登记), issue #5.
-- Parties are kept as registered (name, codes, country, nature) beside the organization ids,
-- since a party may be abroad or unknown to the platform. Money is integer fen.

CREATE TABLE contracts (
    id                      INTEGER PRIMARY KEY,
    contract_no             TEXT    NOT NULL,
    title                   TEXT    NOT NULL,
    category                TEXT    NOT NULL,
    subtype                 TEXT,
    signed_on               TEXT    NOT NULL,
    valid_from              TEXT,
    valid_until             TEXT,
    -- The seller's identity for duplicate detection: its credit code, or 'name:' + name abroad.
    seller_key              TEXT    NOT NULL,
    seller_org_id           INTEGER REFERENCES organizations (id),
    seller_name             TEXT    NOT NULL,
    seller_credit_code      TEXT,
    seller_division_code    TEXT,
    seller_country          TEXT    NOT NULL,
    seller_nature           TEXT    NOT NULL,
    buyer_org_id            INTEGER REFERENCES organizations (id),
    buyer_name              TEXT    NOT NULL,
    buyer_credit_code       TEXT,
    buyer_division_code     TEXT,
    buyer_country           TEXT    NOT NULL,
    buyer_nature            TEXT    NOT NULL,
    -- The organization that applies for registration: the seller, or the domestic buyer of a
    -- technology import.
    applicant_org_id        INTEGER REFERENCES organizations (id),
    contract_amount         INTEGER NOT NULL,
    tech_transaction_amount INTEGER NOT NULL,
    tech_field              TEXT    NOT NULL,
    ip_type                 TEXT    NOT NULL,
    plan_category           TEXT,
    payment_schedule        TEXT    NOT NULL DEFAULT '[]',
    -- Links along the chain; plain ids until those tables exist everywhere.
    achievement_id          INTEGER,
    demand_id               INTEGER,
    site_id                 INTEGER REFERENCES organizations (id),
    status                  TEXT    NOT NULL,
    -- 1 while the status counts in the statistics (registered, changed).
    counted                 INTEGER NOT NULL DEFAULT 0,
    expert_reviewed         INTEGER NOT NULL DEFAULT 0,
    submitted_on            TEXT,
    -- The day the review clock (re)started: acceptance or the last resubmission.
    clock_started_on        TEXT,
    registration_no         TEXT,
    registered_on           TEXT,
    -- Certificate numbering: the serial allocated for (site, year) at registration.
    reg_year                INTEGER,
    cert_serial             INTEGER,
    refusal_ground          TEXT,
    imported                INTEGER NOT NULL DEFAULT 0,
    created_by              TEXT    NOT NULL,
    created_at              TEXT    NOT NULL,
    updated_at              TEXT    NOT NULL
);
CREATE UNIQUE INDEX contracts_seller_no ON contracts (seller_key, contract_no);
CREATE UNIQUE INDEX contracts_certificate ON contracts (site_id, reg_year, cert_serial);
CREATE INDEX contracts_site_status ON contracts (site_id, status);
CREATE INDEX contracts_seller_org ON contracts (seller_org_id);
CREATE INDEX contracts_buyer_org ON contracts (buyer_org_id);
CREATE INDEX contracts_counted_on ON contracts (counted, registered_on);

-- The last certificate serial per registration site and year, advanced inside the
-- registration's write transaction.
CREATE TABLE certificate_counters (
    site_id     INTEGER NOT NULL REFERENCES organizations (id),
    year        INTEGER NOT NULL,
    last_serial INTEGER NOT NULL,
    PRIMARY KEY (site_id, year)
);

-- Every step of a contract's registration.
CREATE TABLE contract_events (
    id          INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    from_status TEXT,
    to_status   TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX contract_events_contract ON contract_events (contract_id, id);
