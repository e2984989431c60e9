DROP INDEX "accounts_active_phone";--> statement-breakpoint
CREATE INDEX "accounts_active_phone_lookup" ON "accounts" USING btree ("directory_id","phone") WHERE status = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_active_phone" ON "accounts" USING btree ("directory_id","phone") WHERE status = 'active' and directory_id = 'builtin';