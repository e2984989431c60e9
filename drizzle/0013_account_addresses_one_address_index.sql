-- account_addresses had two indexes on (directory_id, address): the unique one over active
-- addresses, and this one over all of them, which no query uses: every lookup by address asks for
-- the active holder (the import's clash check, holders, restore plans, follow) and takes the
-- partial index (EXPLAIN with this one gone: Index Scan using account_addresses_active), and an
-- account's own addresses are found by the primary key (account_id, address). An import wrote
-- each of its addresses into it: one B-tree insert in three saved per address.
DROP INDEX "account_addresses_lookup";
