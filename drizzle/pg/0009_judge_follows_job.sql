ALTER TABLE "job" ADD COLUMN "follows_job_id" bigint;--> statement-breakpoint
ALTER TABLE "job" ADD CONSTRAINT "job_follows_job_id_job_id_fk" FOREIGN KEY ("follows_job_id") REFERENCES "public"."job"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "example_job_idx" ON "example" USING btree ("job_id","current_revision_id") WHERE "job_id" is not null;