DROP INDEX `job_item_job_status_idx`;--> statement-breakpoint
ALTER TABLE `job_item` ADD `model_id` integer REFERENCES model(id);--> statement-breakpoint
CREATE INDEX `job_item_job_status_idx` ON `job_item` (`job_id`,`status`,`next_attempt_at`);