-- Incremental aggregates of the contract statistics (DOMAIN.md §3): counted contracts (registered
-- or changed) per registration month and per every dimension the statistics read, with exact fen
-- sums. Kept in the same transaction as every write that changes what the statistics count
-- (registration, change, cancellation, import); `Store::rebuild_contract_summary` recomputes it
-- from `contracts` with the same statement as below. Statistics read whole months here and the
-- partial months at a period's edges from `contracts`. A missing division code is ''.

CREATE TABLE contract_summary (
    -- YYYY-MM of registered_on
    month                   TEXT    NOT NULL,
    seller_division_code    TEXT    NOT NULL,
    buyer_division_code     TEXT    NOT NULL,
    buyer_country           TEXT    NOT NULL,
    -- '021' or '022' (institutes, universities: the rate's seller scope), else ''
    seller_nature           TEXT    NOT NULL,
    category                TEXT    NOT NULL,
    contracts               BIGINT  NOT NULL,
    contract_amount         BIGINT  NOT NULL,
    tech_transaction_amount BIGINT  NOT NULL,
    PRIMARY KEY (month, seller_division_code, buyer_division_code, buyer_country, seller_nature, category)
);

INSERT INTO contract_summary (month, seller_division_code, buyer_division_code, buyer_country,
                              seller_nature, category, contracts, contract_amount, tech_transaction_amount)
SELECT SUBSTR(registered_on, 1, 7), COALESCE(seller_division_code, ''), COALESCE(buyer_division_code, ''),
       buyer_country, CASE WHEN seller_nature IN ('021', '022') THEN seller_nature ELSE '' END, category,
       COUNT(*), SUM(contract_amount), SUM(tech_transaction_amount)
FROM contracts
WHERE counted = 1 AND registered_on IS NOT NULL
GROUP BY SUBSTR(registered_on, 1, 7), COALESCE(seller_division_code, ''), COALESCE(buyer_division_code, ''),
         buyer_country, CASE WHEN seller_nature IN ('021', '022') THEN seller_nature ELSE '' END, category;
