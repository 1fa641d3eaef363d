ALTER TABLE `job` ADD `judge_id` integer REFERENCES judge(id) ON DELETE set null;--> statement-breakpoint
ALTER TABLE `job_item` ADD `judged_revision_id` integer REFERENCES revision(id) ON DELETE cascade;
