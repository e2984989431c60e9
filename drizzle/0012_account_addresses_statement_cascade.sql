-- An import of 100,000 accounts spent about 113 ms of each 5,000-row page checking the foreign key
-- from account_addresses to accounts: one lookup and row lock on accounts per address, proving
-- what the statement knows (it writes the addresses of the accounts it has just inserted).
-- Addresses are written only by our code, each time for an account it holds, so the key's one
-- remaining use, dropping an account's addresses with it, becomes statement triggers as 0009 did
-- for account_words: one DELETE … USING the deleted rows, and a TRUNCATE (TRUNCATE accounts …
-- CASCADE used to reach account_addresses through the key; the bench and tests still say so).
ALTER TABLE "account_addresses" DROP CONSTRAINT "account_addresses_account_id_accounts_id_fk";--> statement-breakpoint

CREATE FUNCTION account_addresses_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM account_addresses aa USING deleted d WHERE aa.account_id = d.id;
  RETURN NULL;
END;
$$;--> statement-breakpoint

CREATE TRIGGER account_addresses_delete AFTER DELETE ON accounts
  REFERENCING OLD TABLE AS deleted
  FOR EACH STATEMENT EXECUTE FUNCTION account_addresses_deleted();--> statement-breakpoint

-- A TRUNCATE naming account_addresses too holds it already, and is emptying it (see 0011).
CREATE FUNCTION account_addresses_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE account_addresses;
  RETURN NULL;
EXCEPTION WHEN object_in_use THEN
  RETURN NULL;
END;
$$;--> statement-breakpoint

CREATE TRIGGER account_addresses_truncate AFTER TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION account_addresses_truncated();
