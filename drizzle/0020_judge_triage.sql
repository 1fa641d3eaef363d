ALTER TABLE `example` ADD `triage` integer DEFAULT 10 NOT NULL;--> statement-breakpoint
CREATE INDEX `example_queue_judged_idx` ON `example` (`project_id`,`claimable`,"priority" desc,"review_count" desc,"triage" desc,`id`);--> statement-breakpoint
ALTER TABLE `judge` ADD `trusted` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `project` ADD `audit_share` real DEFAULT 0.1 NOT NULL;