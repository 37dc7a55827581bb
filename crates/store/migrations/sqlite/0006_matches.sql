-- Decisions on proposed achievement–demand pairs (docs/matching.md): each side of a pair (the
-- achievement's owner, the demand's owner, a broker or the bureau) accepts or declines once; a
-- later decision of the same side replaces it. A declined pair is never proposed again.

CREATE TABLE match_decisions (
    id                 INTEGER PRIMARY KEY,
    achievement_id     INTEGER NOT NULL REFERENCES achievements (id),
    demand_id          INTEGER NOT NULL REFERENCES demands (id),
    -- 'achievement', 'demand' or 'broker'
    side               TEXT    NOT NULL,
    -- 'accepted' or 'declined'
    decision           TEXT    NOT NULL,
    reason             TEXT    NOT NULL DEFAULT '',
    decided_by         TEXT    NOT NULL,
    decided_by_user_id INTEGER NOT NULL,
    decided_by_org_id  INTEGER,
    decided_at         TEXT    NOT NULL,
    CONSTRAINT match_decisions_pair_side UNIQUE (achievement_id, demand_id, side)
);
CREATE INDEX match_decisions_demand ON match_decisions (demand_id);
CREATE INDEX match_decisions_decided_at ON match_decisions (decided_at);
