CREATE TABLE `judge_preference` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`judge_id` integer NOT NULL,
	`first_revision_id` integer NOT NULL,
	`second_revision_id` integer NOT NULL,
	`winner` text NOT NULL,
	`rationale` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`judge_id`) REFERENCES `judge`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`first_revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`second_revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `judge_preference_pair_idx` ON `judge_preference` (`judge_id`,`first_revision_id`,`second_revision_id`);--> statement-breakpoint
ALTER TABLE `job_item` ADD `versus_revision_id` integer REFERENCES revision(id) ON DELETE cascade;