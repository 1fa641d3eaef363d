ALTER TABLE "example" ADD COLUMN "conversation_key" text;--> statement-breakpoint
ALTER TABLE "project" ADD COLUMN "conversation_turns" text DEFAULT 'last' NOT NULL;--> statement-breakpoint
CREATE INDEX "example_conversation_idx" ON "example" USING btree ("project_id","conversation_key") WHERE "conversation_key" is not null;