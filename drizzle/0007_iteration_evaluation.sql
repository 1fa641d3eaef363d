ALTER TABLE `iteration` ADD `evaluation_config` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `iteration` ADD `created_by` text REFERENCES user(id) ON DELETE set null;