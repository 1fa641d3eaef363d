ALTER TABLE "example" ADD COLUMN "triage" bigint DEFAULT 10 NOT NULL;--> statement-breakpoint
ALTER TABLE "judge" ADD COLUMN "trusted" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "project" ADD COLUMN "audit_share" double precision DEFAULT 0.1 NOT NULL;--> statement-breakpoint
CREATE INDEX "example_queue_judged_idx" ON "example" USING btree ("project_id","claimable","priority" desc,"review_count" desc,"triage" desc,"id");