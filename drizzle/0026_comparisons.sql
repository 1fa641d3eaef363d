CREATE TABLE `comparison` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`first_example_id` integer NOT NULL,
	`first_revision_id` integer NOT NULL,
	`second_example_id` integer NOT NULL,
	`second_revision_id` integer NOT NULL,
	`job_id` integer,
	`judgment_count` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`preferred` text,
	`gold_preferred` text,
	`created_by` text,
	`created_at` integer NOT NULL,
	`settled_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`first_example_id`) REFERENCES `example`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`first_revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`second_example_id`) REFERENCES `example`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`second_revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`job_id`) REFERENCES `job`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`created_by`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `comparison_pair_idx` ON `comparison` (`first_revision_id`,`second_revision_id`);--> statement-breakpoint
CREATE INDEX `comparison_queue_idx` ON `comparison` (`project_id`,`status`,`id`);--> statement-breakpoint
CREATE TABLE `comparison_judgment` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`comparison_id` integer NOT NULL,
	`user_id` text NOT NULL,
	`preferred` text NOT NULL,
	`strength` integer,
	`reason` text,
	`first_on_left` integer NOT NULL,
	`repair_revision_id` integer,
	`duration_ms` integer,
	`submission_key` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`comparison_id`) REFERENCES `comparison`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repair_revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `comparison_judgment_submission_key_unique` ON `comparison_judgment` (`submission_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `comparison_judgment_user_idx` ON `comparison_judgment` (`comparison_id`,`user_id`);--> statement-breakpoint
CREATE TABLE `comparison_lease` (
	`comparison_id` integer NOT NULL,
	`user_id` text NOT NULL,
	`leased_at` integer NOT NULL,
	`lease_expires_at` integer NOT NULL,
	PRIMARY KEY(`comparison_id`, `user_id`),
	FOREIGN KEY (`comparison_id`) REFERENCES `comparison`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `comparison_lease_user_idx` ON `comparison_lease` (`user_id`,`lease_expires_at`);--> statement-breakpoint
CREATE TABLE `comparison_skip` (
	`comparison_id` integer NOT NULL,
	`user_id` text NOT NULL,
	`skipped_at` integer NOT NULL,
	PRIMARY KEY(`comparison_id`, `user_id`),
	FOREIGN KEY (`comparison_id`) REFERENCES `comparison`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
