ALTER TABLE "job" ADD COLUMN "judge_id" bigint;--> statement-breakpoint
ALTER TABLE "job_item" ADD COLUMN "judged_revision_id" bigint;--> statement-breakpoint
ALTER TABLE "job" ADD CONSTRAINT "job_judge_id_judge_id_fk" FOREIGN KEY ("judge_id") REFERENCES "public"."judge"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_item" ADD CONSTRAINT "job_item_judged_revision_id_revision_id_fk" FOREIGN KEY ("judged_revision_id") REFERENCES "public"."revision"("id") ON DELETE cascade ON UPDATE no action;