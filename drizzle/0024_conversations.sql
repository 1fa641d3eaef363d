ALTER TABLE `example` ADD `conversation_key` text;--> statement-breakpoint
CREATE INDEX `example_conversation_idx` ON `example` (`project_id`,`conversation_key`) WHERE "example"."conversation_key" is not null;--> statement-breakpoint
ALTER TABLE `project` ADD `conversation_turns` text DEFAULT 'last' NOT NULL;