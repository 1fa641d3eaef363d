ALTER TABLE `dataset` ADD `state` text DEFAULT 'frozen' NOT NULL;--> statement-breakpoint
ALTER TABLE `dataset` ADD `staged_at` integer;