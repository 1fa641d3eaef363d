ALTER TABLE `fine_tune` ADD `training_file_id` text;--> statement-breakpoint
ALTER TABLE `fine_tune` ADD `validation_file_id` text;