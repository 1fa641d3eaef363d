CREATE TABLE `model_retirement` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`model` text NOT NULL,
	`retires_on` integer NOT NULL,
	`source` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `model_retirement_model_unique` ON `model_retirement` (`model`);--> statement-breakpoint
-- The retirements known when this table was made; admins add and correct rows on the Retirements page.
INSERT INTO model_retirement (model, retires_on, source, created_at) VALUES
	('gpt-4o', 1799884800000, 'OpenAI deprecations page, notice of 2026-10-14', 1791936000000),
	('gpt-4o-mini', 1799884800000, 'OpenAI deprecations page, notice of 2026-10-14', 1791936000000),
	('gpt-4.1', 1799884800000, 'OpenAI deprecations page, notice of 2026-10-14', 1791936000000),
	('gpt-4.1-mini', 1799884800000, 'OpenAI deprecations page, notice of 2026-10-14', 1791936000000);
