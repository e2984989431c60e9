-- pg_trgm powers the fuzzy search indexes below; PGlite loads it as an extension too.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE TYPE "public"."account_status" AS ENUM('active', 'deleting', 'deleted', 'purged');--> statement-breakpoint
CREATE TYPE "public"."request_status" AS ENUM('pending', 'completed', 'rejected', 'expired', 'failed');--> statement-breakpoint
CREATE TABLE "account_addresses" (
	"account_id" uuid NOT NULL,
	"directory_id" text NOT NULL,
	"address" text NOT NULL,
	"is_primary" boolean NOT NULL,
	"active" boolean NOT NULL,
	CONSTRAINT "account_addresses_account_id_address_pk" PRIMARY KEY("account_id","address")
);
--> statement-breakpoint
CREATE TABLE "accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"directory_id" text NOT NULL,
	"external_id" text NOT NULL,
	"user_name" text NOT NULL,
	"email" text,
	"aliases" text[] DEFAULT '{}'::text[] NOT NULL,
	"phone" text,
	"display_name" text NOT NULL,
	"given_name" text,
	"family_name" text,
	"department" text,
	"license" text,
	"status" "account_status" NOT NULL,
	"deleted_at" timestamp with time zone,
	"deleted_by" text,
	"deletion_completes_at" timestamp with time zone,
	"purge_after" timestamp with time zone,
	"purged_at" timestamp with time zone,
	"recreated_as" uuid,
	"snapshot" jsonb,
	"password_hash" text,
	"must_change_password" boolean DEFAULT false NOT NULL,
	"search_text" text DEFAULT '' NOT NULL,
	"name_text" text GENERATED ALWAYS AS (lower(display_name || ' ' || coalesce(given_name, '') || ' ' || coalesce(family_name, ''))) STORED NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"request_id" uuid NOT NULL,
	"approver" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "approvals_request_id_approver_pk" PRIMARY KEY("request_id","approver")
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"directory_id" text,
	"account_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"request_id" uuid,
	"before" jsonb,
	"after" jsonb,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "departments" (
	"directory_id" text NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "departments_directory_id_name_pk" PRIMARY KEY("directory_id","name")
);
--> statement-breakpoint
CREATE TABLE "directories" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"retention_days" integer,
	"capabilities" jsonb NOT NULL,
	"follow_up" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"domains" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_runs" (
	"job" text NOT NULL,
	"run_key" text NOT NULL,
	"status" text NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"payload" jsonb,
	"progress" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "job_runs_job_run_key_pk" PRIMARY KEY("job","run_key")
);
--> statement-breakpoint
CREATE TABLE "restore_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text,
	"kind" text NOT NULL,
	"directory_id" text NOT NULL,
	"account_id" uuid NOT NULL,
	"replaces_account_id" uuid,
	"replaces_version" integer,
	"requested_by" text NOT NULL,
	"reason" text,
	"choices" jsonb NOT NULL,
	"status" "request_status" NOT NULL,
	"approvals_needed" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"result" jsonb,
	"reminded_at" timestamp with time zone,
	"approval_message" jsonb,
	"decided_at" timestamp with time zone,
	"decided_by" text,
	"decision_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "seats" (
	"directory_id" text NOT NULL,
	"license" text NOT NULL,
	"total" integer NOT NULL,
	CONSTRAINT "seats_directory_id_license_pk" PRIMARY KEY("directory_id","license")
);
--> statement-breakpoint
ALTER TABLE "account_addresses" ADD CONSTRAINT "account_addresses_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_directory_id_directories_id_fk" FOREIGN KEY ("directory_id") REFERENCES "public"."directories"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_request_id_restore_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."restore_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "departments" ADD CONSTRAINT "departments_directory_id_directories_id_fk" FOREIGN KEY ("directory_id") REFERENCES "public"."directories"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restore_requests" ADD CONSTRAINT "restore_requests_directory_id_directories_id_fk" FOREIGN KEY ("directory_id") REFERENCES "public"."directories"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restore_requests" ADD CONSTRAINT "restore_requests_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restore_requests" ADD CONSTRAINT "restore_requests_replaces_account_id_accounts_id_fk" FOREIGN KEY ("replaces_account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seats" ADD CONSTRAINT "seats_directory_id_directories_id_fk" FOREIGN KEY ("directory_id") REFERENCES "public"."directories"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "account_addresses_active" ON "account_addresses" USING btree ("directory_id","address") WHERE active;--> statement-breakpoint
CREATE INDEX "account_addresses_lookup" ON "account_addresses" USING btree ("directory_id","address");--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_external_id" ON "accounts" USING btree ("directory_id","external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_active_user_name" ON "accounts" USING btree ("directory_id",lower("user_name")) WHERE status = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_active_phone" ON "accounts" USING btree ("directory_id","phone") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "accounts_inactive_search" ON "accounts" USING gin ("search_text" gin_trgm_ops) WHERE status <> 'active';--> statement-breakpoint
CREATE INDEX "accounts_inactive_names" ON "accounts" USING gin ("name_text" gin_trgm_ops) WHERE status <> 'active';--> statement-breakpoint
CREATE INDEX "accounts_inactive_purge_after" ON "accounts" USING btree ("purge_after") WHERE status <> 'active';--> statement-breakpoint
CREATE INDEX "accounts_user_name" ON "accounts" USING btree (lower("user_name"));--> statement-breakpoint
CREATE INDEX "accounts_email" ON "accounts" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "accounts_external_id_lookup" ON "accounts" USING btree ("external_id");--> statement-breakpoint
CREATE INDEX "accounts_active_license" ON "accounts" USING btree ("directory_id","license") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "audit_events_at" ON "audit_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "job_runs_finished" ON "job_runs" USING btree ("job","finished_at");--> statement-breakpoint
CREATE UNIQUE INDEX "restore_requests_idempotency" ON "restore_requests" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "restore_requests_pending" ON "restore_requests" USING btree ("expires_at") WHERE status = 'pending';