CREATE TABLE `instance_setting` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `provider_budget` (
	`provider_id` integer PRIMARY KEY NOT NULL,
	`requests` real,
	`request_capacity` real,
	`tokens` real,
	`token_capacity` real,
	`refilled_at` integer NOT NULL,
	`closed_until` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`provider_id`) REFERENCES `provider`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `wake_signal` (
	`channel` text PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `worker` (
	`id` text PRIMARY KEY NOT NULL,
	`seen_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `fine_tune` ADD `launch_owner` text;--> statement-breakpoint
ALTER TABLE `fine_tune` ADD `launch_expires_at` integer;--> statement-breakpoint
ALTER TABLE `fine_tune` ADD `launch_attempted_at` integer;--> statement-breakpoint
ALTER TABLE `job_item` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `job_item` ADD `lease_expires_at` integer;--> statement-breakpoint
ALTER TABLE `job_item` ADD `lease_token` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `job_item_running_idx` ON `job_item` (`job_id`,`lease_expires_at`) WHERE "job_item"."status" = 'running';