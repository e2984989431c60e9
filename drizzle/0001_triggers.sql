-- Rules the database keeps even if code forgets them.

-- The audit trail is append-only: no UPDATE, no DELETE.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END;
$$;--> statement-breakpoint
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();--> statement-breakpoint

-- An account's addresses count towards uniqueness only while it is active.
CREATE FUNCTION account_addresses_follow_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status THEN
    UPDATE account_addresses SET active = (NEW.status = 'active') WHERE account_id = NEW.id;
  END IF;
  RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER account_addresses_follow_status AFTER UPDATE OF status ON accounts
  FOR EACH ROW EXECUTE FUNCTION account_addresses_follow_status();
