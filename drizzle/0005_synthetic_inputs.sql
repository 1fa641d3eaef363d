CREATE TABLE `synthetic_input` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`topic_id` integer,
	`text` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `synthetic_run`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`topic_id`) REFERENCES `synthetic_topic`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `synthetic_input_run_idx` ON `synthetic_input` (`run_id`,`topic_id`);--> statement-breakpoint
CREATE TABLE `synthetic_run` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`model_id` integer,
	`guidance` text DEFAULT '' NOT NULL,
	`breadth` integer NOT NULL,
	`depth` integer NOT NULL,
	`inputs_per_leaf` integer NOT NULL,
	`job_id` integer,
	`created_by` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`model_id`) REFERENCES `model`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`job_id`) REFERENCES `job`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`created_by`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `synthetic_topic` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`parent_id` integer,
	`name` text NOT NULL,
	`depth` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `synthetic_run`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`parent_id`) REFERENCES `synthetic_topic`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `synthetic_topic_run_idx` ON `synthetic_topic` (`run_id`,`parent_id`);