CREATE TABLE `dataset_comparison` (
	`dataset_id` integer NOT NULL,
	`comparison_id` integer NOT NULL,
	`preferred_example_id` integer NOT NULL,
	`worse_revision_id` integer NOT NULL,
	PRIMARY KEY(`dataset_id`, `comparison_id`),
	FOREIGN KEY (`dataset_id`) REFERENCES `dataset`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`comparison_id`) REFERENCES `comparison`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`preferred_example_id`) REFERENCES `example`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`worse_revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `dataset_comparison_example_idx` ON `dataset_comparison` (`dataset_id`,`preferred_example_id`);--> statement-breakpoint
CREATE INDEX `comparison_second_idx` ON `comparison` (`second_revision_id`);