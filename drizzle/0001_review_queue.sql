CREATE TABLE `review_skip` (
	`user_id` text NOT NULL,
	`revision_id` integer NOT NULL,
	`example_id` integer NOT NULL,
	`skipped_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `revision_id`),
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`example_id`) REFERENCES `example`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `example` ADD `review_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `example` ADD `claimable` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `example` ADD `priority` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `example` ADD `random_key` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `example_queue_oldest_idx` ON `example` (`project_id`,`claimable`,"priority" desc,"review_count" desc,`id`);--> statement-breakpoint
CREATE INDEX `example_queue_random_idx` ON `example` (`project_id`,`claimable`,"priority" desc,"review_count" desc,`random_key`);--> statement-breakpoint
UPDATE `example` SET `claimable` = 1 WHERE `status` IN ('queued', 'in_review') AND `current_revision_id` IN (SELECT `id` FROM `revision` WHERE `output` IS NOT NULL);--> statement-breakpoint
UPDATE `example` SET `random_key` = abs(random() % 2147483647);
