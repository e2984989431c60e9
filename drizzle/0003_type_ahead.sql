-- Type-ahead by word prefix: the words of every account search lists (not active, not re-created),
-- one row each, kept by triggers. A prefix is a B-tree range that stops at the LIMIT, where a
-- trigram search first builds a bitmap of every match (13,000 rows for "mar").
CREATE TABLE "account_words" (
	"word" text COLLATE "C" NOT NULL,
	"account_id" uuid NOT NULL REFERENCES "accounts"("id") ON DELETE CASCADE,
	-- Purged tombstones are listed after what can still be restored.
	"gone" boolean NOT NULL,
	"purge_after" timestamp with time zone
);--> statement-breakpoint
-- For the triggers, which rewrite an account's words (few, deduplicated by the B-tree).
CREATE INDEX "account_words_account" ON "account_words" ("account_id");--> statement-breakpoint
-- The order type-ahead lists in: the exact word before longer ones, then soonest to expire.
CREATE INDEX "account_words_prefix" ON "account_words" ("gone", "word", "purge_after", "account_id");--> statement-breakpoint

-- What a prefix can start: every space-separated part of search_text whole ("maria.lopez" finds
-- maria.lopez7@example.com), its pieces before any @ ("lopez" finds it too; the domain would
-- match everyone), and each ordered pair of name words, so "maria lo" is one range too.
-- Long ones are left out (a B-tree entry has a size limit); trigram search still finds them.
CREATE FUNCTION account_words_of(search_text text, name_text text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE AS $$
  WITH parts AS (SELECT p FROM regexp_split_to_table(search_text, '\s+') AS p WHERE p <> ''),
  names AS (SELECT DISTINCT n FROM regexp_split_to_table(name_text, '\s+') AS n WHERE n <> '' LIMIT 6)
  SELECT w FROM (
    SELECT p AS w FROM parts
    UNION SELECT piece FROM parts, regexp_split_to_table(regexp_replace(p, '@.*$', ''), '[._+-]+') AS piece
    UNION SELECT a.n || ' ' || b.n FROM names a, names b WHERE a.n <> b.n
  ) words WHERE w <> '' AND length(w) <= 200
$$;--> statement-breakpoint

CREATE FUNCTION account_words_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM account_words WHERE account_id = OLD.id;
  END IF;
  IF NEW.status <> 'active' AND NEW.recreated_as IS NULL THEN
    INSERT INTO account_words (word, account_id, gone, purge_after)
      SELECT w, NEW.id, NEW.status = 'purged', NEW.purge_after
      FROM account_words_of(NEW.search_text, NEW.name_text) AS w;
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER account_words_insert AFTER INSERT ON accounts
  FOR EACH ROW WHEN (NEW.status <> 'active' AND NEW.recreated_as IS NULL)
  EXECUTE FUNCTION account_words_follow();--> statement-breakpoint
-- Active accounts have no words: their renames and syncs cost nothing here.
CREATE TRIGGER account_words_update
  AFTER UPDATE OF status, recreated_as, search_text, display_name, given_name, family_name, purge_after
  ON accounts
  FOR EACH ROW WHEN ((OLD.status <> 'active' OR NEW.status <> 'active') AND (
    OLD.status IS DISTINCT FROM NEW.status OR OLD.recreated_as IS DISTINCT FROM NEW.recreated_as
    OR OLD.search_text IS DISTINCT FROM NEW.search_text OR OLD.name_text IS DISTINCT FROM NEW.name_text
    OR OLD.purge_after IS DISTINCT FROM NEW.purge_after))
  EXECUTE FUNCTION account_words_follow();--> statement-breakpoint

-- The accounts already there.
INSERT INTO account_words (word, account_id, gone, purge_after)
  SELECT w, a.id, a.status = 'purged', a.purge_after
  FROM accounts a CROSS JOIN LATERAL account_words_of(a.search_text, a.name_text) AS w
  WHERE a.status <> 'active' AND a.recreated_as IS NULL;
