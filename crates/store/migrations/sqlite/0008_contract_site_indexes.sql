-- The two indexes led by the registration site only serve contracts that have one (a
-- registrar's queue, certificate numbers per site and year). Imported contracts have no site,
-- so as partial indexes they cost a bulk import nothing; `site_id = $n` implies the condition,
-- so both databases still use them, and uniqueness among contracts with a site is unchanged
-- (rows without a site never conflicted: NULLs are distinct).
DROP INDEX contracts_certificate;
DROP INDEX contracts_site_status;
CREATE UNIQUE INDEX contracts_certificate ON contracts (site_id, reg_year, cert_serial)
    WHERE site_id IS NOT NULL;
CREATE INDEX contracts_site_status ON contracts (site_id, status) WHERE site_id IS NOT NULL;
