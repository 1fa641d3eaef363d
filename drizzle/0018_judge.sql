CREATE TABLE `judge` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`name` text NOT NULL,
	`model_id` integer,
	`rubric` text NOT NULL,
	`with_reference` integer DEFAULT false NOT NULL,
	`temperature` real,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`model_id`) REFERENCES `model`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`created_by`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `judge_project_name_idx` ON `judge` (`project_id`,`name`);--> statement-breakpoint
CREATE TABLE `judgment` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`judge_id` integer NOT NULL,
	`example_id` integer NOT NULL,
	`revision_id` integer NOT NULL,
	`rating` real NOT NULL,
	`rationale` text NOT NULL,
	`requirement_ratings` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`judge_id`) REFERENCES `judge`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`example_id`) REFERENCES `example`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `judgment_judge_revision_idx` ON `judgment` (`judge_id`,`revision_id`);--> statement-breakpoint
CREATE INDEX `judgment_example_idx` ON `judgment` (`example_id`);