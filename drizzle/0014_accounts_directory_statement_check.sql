-- An import of 100,000 accounts on the Postgres server spent about a fifth of its statements' time
-- in the foreign key from accounts to directories (the 20 page statements: 7.6 and 6.8 s with the
-- key, 5.5 and 6.0 s without, back to back): an after-trigger event, a lookup and a row lock on
-- directories for every row, each proving the one directory all of the page's 5,000 rows name. The key becomes statement triggers:
-- an INSERT checks (and KEY SHARE-locks, as the key did) the distinct directories it wrote once;
-- the rare UPDATE that moves an account to another directory is checked by a row trigger that only
-- fires when directory_id changes; deleting or renaming a directory that still has accounts is
-- refused as before (the same SQLSTATE, 23503), and a TRUNCATE of directories … CASCADE empties
-- accounts too, as the key's cascade did.
ALTER TABLE "accounts" DROP CONSTRAINT "accounts_directory_id_directories_id_fk";--> statement-breakpoint

CREATE FUNCTION accounts_directory_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing text;
BEGIN
  -- Locked first, so that a directory deleted meanwhile is either waited for or seen as gone.
  PERFORM 1 FROM directories d WHERE d.id IN (SELECT DISTINCT n.directory_id FROM inserted n)
    ORDER BY d.id FOR KEY SHARE;
  SELECT n.directory_id INTO missing FROM (SELECT DISTINCT directory_id FROM inserted) n
    WHERE NOT EXISTS (SELECT 1 FROM directories d WHERE d.id = n.directory_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'directory % does not exist', missing USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint

CREATE TRIGGER accounts_directory_insert AFTER INSERT ON accounts
  REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION accounts_directory_inserted();--> statement-breakpoint

CREATE FUNCTION accounts_directory_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM directories d WHERE d.id = NEW.directory_id FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'directory % does not exist', NEW.directory_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint

CREATE TRIGGER accounts_directory_update AFTER UPDATE OF directory_id ON accounts
  FOR EACH ROW WHEN (OLD.directory_id IS DISTINCT FROM NEW.directory_id)
  EXECUTE FUNCTION accounts_directory_moved();--> statement-breakpoint

CREATE FUNCTION directories_accounts_left() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kept text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT a.directory_id INTO kept FROM deleted d JOIN accounts a ON a.directory_id = d.id LIMIT 1;
  ELSE
    SELECT a.directory_id INTO kept FROM accounts a WHERE a.directory_id = OLD.id LIMIT 1;
  END IF;
  IF FOUND THEN
    RAISE EXCEPTION 'directory % still has accounts', kept USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint

CREATE TRIGGER directories_delete AFTER DELETE ON directories
  REFERENCING OLD TABLE AS deleted
  FOR EACH STATEMENT EXECUTE FUNCTION directories_accounts_left();--> statement-breakpoint

CREATE TRIGGER directories_update AFTER UPDATE OF id ON directories
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION directories_accounts_left();--> statement-breakpoint

-- A TRUNCATE of directories cascades (departments and seats still have keys to it, so one without
-- CASCADE is refused). Accounts left behind go by DELETE (their words and addresses with them):
-- a TRUNCATE of accounts from here would find restore_requests in use by the same statement. One
-- naming accounts too (the tests, the bench) has emptied it already: nothing to delete.
CREATE FUNCTION directories_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM accounts;
  RETURN NULL;
END;
$$;--> statement-breakpoint

CREATE TRIGGER directories_truncate AFTER TRUNCATE ON directories
  FOR EACH STATEMENT EXECUTE FUNCTION directories_truncated();
