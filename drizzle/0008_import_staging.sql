ALTER TABLE `import_batch` ADD `state` text DEFAULT 'done' NOT NULL;--> statement-breakpoint
ALTER TABLE `import_batch` ADD `staged_at` integer;--> statement-breakpoint
CREATE INDEX `import_batch_staging_idx` ON `import_batch` (`id`) WHERE "import_batch"."state" = 'staging';--> statement-breakpoint
CREATE INDEX `example_import_idx` ON `example` (`import_id`) WHERE "example"."import_id" is not null;