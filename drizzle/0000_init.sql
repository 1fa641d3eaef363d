CREATE TABLE `adjudication` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`example_id` integer NOT NULL,
	`revision_id` integer NOT NULL,
	`user_id` text NOT NULL,
	`rating` real NOT NULL,
	`decision` text NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`example_id`) REFERENCES `example`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `api_token` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_token_token_hash_unique` ON `api_token` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_token_user_idx` ON `api_token` (`user_id`);--> statement-breakpoint
CREATE TABLE `dataset` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`name` text NOT NULL,
	`filter` text NOT NULL,
	`train_count` integer NOT NULL,
	`val_count` integer NOT NULL,
	`test_count` integer NOT NULL,
	`content_hash` text NOT NULL,
	`previous_dataset_id` integer,
	`created_by` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`previous_dataset_id`) REFERENCES `dataset`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `dataset_project_idx` ON `dataset` (`project_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `dataset_item` (
	`dataset_id` integer NOT NULL,
	`example_id` integer NOT NULL,
	`revision_id` integer NOT NULL,
	`split` text NOT NULL,
	PRIMARY KEY(`dataset_id`, `example_id`),
	FOREIGN KEY (`dataset_id`) REFERENCES `dataset`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`example_id`) REFERENCES `example`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `example` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`external_id` text,
	`dedupe_key` text,
	`input` text NOT NULL,
	`input_hash` text NOT NULL,
	`split` text NOT NULL,
	`source` text NOT NULL,
	`job_id` integer,
	`import_id` integer,
	`status` text DEFAULT 'queued' NOT NULL,
	`current_revision_id` integer,
	`final_rating` real,
	`final_decision` text,
	`is_gold` integer DEFAULT false NOT NULL,
	`gold_rating` real,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`job_id`) REFERENCES `job`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`import_id`) REFERENCES `import_batch`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`current_revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `example_dedupe_idx` ON `example` (`project_id`,`dedupe_key`);--> statement-breakpoint
CREATE INDEX `example_project_id_idx` ON `example` (`project_id`,`id`);--> statement-breakpoint
CREATE INDEX `example_project_status_idx` ON `example` (`project_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `example_project_split_idx` ON `example` (`project_id`,`split`,`id`);--> statement-breakpoint
CREATE INDEX `example_project_source_idx` ON `example` (`project_id`,`source`,`id`);--> statement-breakpoint
CREATE INDEX `example_project_input_hash_idx` ON `example` (`project_id`,`input_hash`);--> statement-breakpoint
CREATE TABLE `example_tag` (
	`example_id` integer NOT NULL,
	`tag` text NOT NULL,
	PRIMARY KEY(`example_id`, `tag`),
	FOREIGN KEY (`example_id`) REFERENCES `example`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `example_tag_tag_idx` ON `example_tag` (`tag`,`example_id`);--> statement-breakpoint
CREATE TABLE `fine_tune` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`dataset_id` integer NOT NULL,
	`provider_id` integer,
	`adapter` text NOT NULL,
	`base_model` text NOT NULL,
	`hyperparameters` text DEFAULT '{}' NOT NULL,
	`external_job_id` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`result_model_id` integer,
	`error` text,
	`created_by` text,
	`created_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`dataset_id`) REFERENCES `dataset`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`provider_id`) REFERENCES `provider`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`result_model_id`) REFERENCES `model`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`created_by`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `fine_tune_project_idx` ON `fine_tune` (`project_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `fine_tune_event` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`fine_tune_id` integer NOT NULL,
	`external_id` text,
	`level` text DEFAULT 'info' NOT NULL,
	`message` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`fine_tune_id`) REFERENCES `fine_tune`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fine_tune_event_external_idx` ON `fine_tune_event` (`fine_tune_id`,`external_id`);--> statement-breakpoint
CREATE TABLE `import_batch` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`user_id` text,
	`filename` text NOT NULL,
	`format` text NOT NULL,
	`rows_read` integer NOT NULL,
	`rows_imported` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `iteration` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`number` integer NOT NULL,
	`dataset_id` integer,
	`fine_tune_id` integer,
	`evaluation_job_id` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`dataset_id`) REFERENCES `dataset`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`fine_tune_id`) REFERENCES `fine_tune`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`evaluation_job_id`) REFERENCES `job`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `iteration_project_number_idx` ON `iteration` (`project_id`,`number`);--> statement-breakpoint
CREATE TABLE `job` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`kind` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`model_id` integer,
	`config` text DEFAULT '{}' NOT NULL,
	`concurrency` integer DEFAULT 4 NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`cost` real DEFAULT 0 NOT NULL,
	`error` text,
	`created_by` text,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`model_id`) REFERENCES `model`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`created_by`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `job_project_idx` ON `job` (`project_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `job_item` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` integer NOT NULL,
	`input` text NOT NULL,
	`input_hash` text NOT NULL,
	`sample_index` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`example_id` integer,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`cost` real DEFAULT 0 NOT NULL,
	`latency_ms` integer,
	`next_attempt_at` integer,
	`started_at` integer,
	`finished_at` integer,
	FOREIGN KEY (`job_id`) REFERENCES `job`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`example_id`) REFERENCES `example`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `job_item_example_id_unique` ON `job_item` (`example_id`);--> statement-breakpoint
CREATE INDEX `job_item_job_status_idx` ON `job_item` (`job_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `job_item_input_sample_idx` ON `job_item` (`job_id`,`input_hash`,`sample_index`);--> statement-breakpoint
CREATE TABLE `lease` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`example_id` integer NOT NULL,
	`revision_id` integer NOT NULL,
	`user_id` text NOT NULL,
	`leased_at` integer NOT NULL,
	`lease_expires_at` integer NOT NULL,
	FOREIGN KEY (`example_id`) REFERENCES `example`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `lease_example_user_idx` ON `lease` (`example_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `lease_expires_idx` ON `lease` (`lease_expires_at`);--> statement-breakpoint
CREATE TABLE `login_throttle` (
	`key` text PRIMARY KEY NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`last_failure_at` integer NOT NULL,
	`locked_until` integer
);
--> statement-breakpoint
CREATE TABLE `model` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`provider_id` integer NOT NULL,
	`name` text NOT NULL,
	`input_price_per_mtok` real DEFAULT 0 NOT NULL,
	`output_price_per_mtok` real DEFAULT 0 NOT NULL,
	`fine_tune_id` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`provider_id`) REFERENCES `provider`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`fine_tune_id`) REFERENCES `fine_tune`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `model_provider_name_idx` ON `model` (`provider_id`,`name`);--> statement-breakpoint
CREATE TABLE `project` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`instruction` text DEFAULT '' NOT NULL,
	`input_kind` text DEFAULT 'text' NOT NULL,
	`input_schema` text,
	`output_kind` text DEFAULT 'text' NOT NULL,
	`output_schema` text,
	`rating_scale` text DEFAULT 'five_star' NOT NULL,
	`threshold` integer DEFAULT 4 NOT NULL,
	`reviews_required` integer DEFAULT 1 NOT NULL,
	`aggregation` text DEFAULT 'mean' NOT NULL,
	`split_train` integer DEFAULT 80 NOT NULL,
	`split_val` integer DEFAULT 10 NOT NULL,
	`split_test` integer DEFAULT 10 NOT NULL,
	`lease_minutes` integer DEFAULT 10 NOT NULL,
	`queue_order` text DEFAULT 'oldest' NOT NULL,
	`queue_priority` text,
	`repairer_review_counts` integer DEFAULT false NOT NULL,
	`gold_rate` real DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `project_member` (
	`project_id` integer NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `user_id`),
	FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `member_user_idx` ON `project_member` (`user_id`);--> statement-breakpoint
CREATE TABLE `provider` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text DEFAULT 'openai_compatible' NOT NULL,
	`base_url` text NOT NULL,
	`api_key_encrypted` text,
	`requests_per_minute` integer,
	`tokens_per_minute` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `requirement` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`position` integer NOT NULL,
	`archived` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `project`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `requirement_project_idx` ON `requirement` (`project_id`,`position`);--> statement-breakpoint
CREATE TABLE `review` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`example_id` integer NOT NULL,
	`revision_id` integer NOT NULL,
	`user_id` text NOT NULL,
	`rating` real NOT NULL,
	`decision` text NOT NULL,
	`comment` text,
	`duration_ms` integer,
	`submission_key` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`example_id`) REFERENCES `example`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `review_submission_key_unique` ON `review` (`submission_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `review_revision_user_idx` ON `review` (`revision_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `review_example_idx` ON `review` (`example_id`);--> statement-breakpoint
CREATE INDEX `review_user_created_idx` ON `review` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `review_requirement_rating` (
	`review_id` integer NOT NULL,
	`requirement_id` integer NOT NULL,
	`rating` real NOT NULL,
	PRIMARY KEY(`review_id`, `requirement_id`),
	FOREIGN KEY (`review_id`) REFERENCES `review`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`requirement_id`) REFERENCES `requirement`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `revision` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`example_id` integer NOT NULL,
	`number` integer NOT NULL,
	`parent_revision_id` integer,
	`output` text,
	`reasoning` text,
	`author_kind` text NOT NULL,
	`author_user_id` text,
	`author_model_id` integer,
	`reason` text,
	`schema_valid` integer,
	`schema_errors` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`example_id`) REFERENCES `example`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`parent_revision_id`) REFERENCES `revision`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`author_user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`author_model_id`) REFERENCES `model`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `revision_example_number_idx` ON `revision` (`example_id`,`number`);--> statement-breakpoint
CREATE TABLE `session` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `session_user_idx` ON `session` (`user_id`);--> statement-breakpoint
CREATE TABLE `user` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`display_name` text NOT NULL,
	`password_hash` text NOT NULL,
	`role` text DEFAULT 'annotator' NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `user_username_unique` ON `user` (`username`);