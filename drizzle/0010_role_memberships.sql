CREATE TABLE "role_memberships" (
	"group_id" text PRIMARY KEY NOT NULL,
	"user_ids" text[] NOT NULL,
	"read_at" timestamp with time zone NOT NULL
);
