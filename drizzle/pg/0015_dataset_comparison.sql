CREATE TABLE "dataset_comparison" (
	"dataset_id" bigint NOT NULL,
	"comparison_id" bigint NOT NULL,
	"preferred_example_id" bigint NOT NULL,
	"worse_revision_id" bigint NOT NULL,
	CONSTRAINT "dataset_comparison_dataset_id_comparison_id_pk" PRIMARY KEY("dataset_id","comparison_id")
);
--> statement-breakpoint
ALTER TABLE "dataset_comparison" ADD CONSTRAINT "dataset_comparison_dataset_id_dataset_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."dataset"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_comparison" ADD CONSTRAINT "dataset_comparison_comparison_id_comparison_id_fk" FOREIGN KEY ("comparison_id") REFERENCES "public"."comparison"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_comparison" ADD CONSTRAINT "dataset_comparison_preferred_example_id_example_id_fk" FOREIGN KEY ("preferred_example_id") REFERENCES "public"."example"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_comparison" ADD CONSTRAINT "dataset_comparison_worse_revision_id_revision_id_fk" FOREIGN KEY ("worse_revision_id") REFERENCES "public"."revision"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dataset_comparison_example_idx" ON "dataset_comparison" USING btree ("dataset_id","preferred_example_id");--> statement-breakpoint
CREATE INDEX "comparison_second_idx" ON "comparison" USING btree ("second_revision_id");