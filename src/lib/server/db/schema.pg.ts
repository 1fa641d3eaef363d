// Rendered from schema.ts by scripts/db-schema-pg.ts; do not edit. `npm run db:generate`
// renders it again and generates the migrations of both dialects.
import { sql } from 'drizzle-orm';
import {
	pgTable,
	bigint,
	smallint,
	doublePrecision,
	text,
	index,
	uniqueIndex,
	primaryKey,
	type AnyPgColumn
} from 'drizzle-orm/pg-core';

export const adjudication = pgTable('adjudication', {
	id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
	exampleId: bigint('example_id', { mode: 'number' })
		.notNull()
		.references((): AnyPgColumn => example.id, { onDelete: 'cascade' }),
	revisionId: bigint('revision_id', { mode: 'number' })
		.notNull()
		.references((): AnyPgColumn => revision.id, { onDelete: 'cascade' }),
	userId: text('user_id')
		.notNull()
		.references((): AnyPgColumn => user.id),
	rating: doublePrecision('rating').notNull(),
	decision: text('decision').notNull(),
	reason: text('reason').notNull(),
	createdAt: bigint('created_at', { mode: 'number' }).notNull()
});

export const apiToken = pgTable(
	'api_token',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		userId: text('user_id')
			.notNull()
			.references((): AnyPgColumn => user.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		tokenHash: text('token_hash').notNull().unique('api_token_token_hash_unique'),
		createdAt: bigint('created_at', { mode: 'number' }).notNull(),
		lastUsedAt: bigint('last_used_at', { mode: 'number' }),
		revokedAt: bigint('revoked_at', { mode: 'number' })
	},
	(t) => [index('api_token_user_idx').on(t.userId)]
);

export const comparison = pgTable(
	'comparison',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		projectId: bigint('project_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => project.id, { onDelete: 'cascade' }),
		firstExampleId: bigint('first_example_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => example.id, { onDelete: 'cascade' }),
		firstRevisionId: bigint('first_revision_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => revision.id, { onDelete: 'cascade' }),
		secondExampleId: bigint('second_example_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => example.id, { onDelete: 'cascade' }),
		secondRevisionId: bigint('second_revision_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => revision.id, { onDelete: 'cascade' }),
		jobId: bigint('job_id', { mode: 'number' }).references((): AnyPgColumn => job.id, {
			onDelete: 'set null'
		}),
		judgmentCount: bigint('judgment_count', { mode: 'number' }).notNull().default(0),
		status: text('status').notNull().default('open'),
		preferred: text('preferred'),
		goldPreferred: text('gold_preferred'),
		createdBy: text('created_by').references((): AnyPgColumn => user.id, { onDelete: 'set null' }),
		createdAt: bigint('created_at', { mode: 'number' }).notNull(),
		settledAt: bigint('settled_at', { mode: 'number' })
	},
	(t) => [
		uniqueIndex('comparison_pair_idx').on(t.firstRevisionId, t.secondRevisionId),
		index('comparison_second_idx').on(t.secondRevisionId),
		index('comparison_queue_idx').on(t.projectId, t.status, t.id)
	]
);

export const comparisonJudgment = pgTable(
	'comparison_judgment',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		comparisonId: bigint('comparison_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => comparison.id, { onDelete: 'cascade' }),
		userId: text('user_id')
			.notNull()
			.references((): AnyPgColumn => user.id, { onDelete: 'cascade' }),
		preferred: text('preferred').notNull(),
		strength: bigint('strength', { mode: 'number' }),
		reason: text('reason'),
		firstOnLeft: smallint('first_on_left').notNull(),
		repairRevisionId: bigint('repair_revision_id', { mode: 'number' }).references(
			(): AnyPgColumn => revision.id,
			{ onDelete: 'set null' }
		),
		durationMs: bigint('duration_ms', { mode: 'number' }),
		submissionKey: text('submission_key').unique('comparison_judgment_submission_key_unique'),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [uniqueIndex('comparison_judgment_user_idx').on(t.comparisonId, t.userId)]
);

export const comparisonLease = pgTable(
	'comparison_lease',
	{
		comparisonId: bigint('comparison_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => comparison.id, { onDelete: 'cascade' }),
		userId: text('user_id')
			.notNull()
			.references((): AnyPgColumn => user.id, { onDelete: 'cascade' }),
		leasedAt: bigint('leased_at', { mode: 'number' }).notNull(),
		leaseExpiresAt: bigint('lease_expires_at', { mode: 'number' }).notNull()
	},
	(t) => [
		primaryKey({ columns: [t.comparisonId, t.userId] }),
		index('comparison_lease_user_idx').on(t.userId, t.leaseExpiresAt)
	]
);

export const comparisonSkip = pgTable(
	'comparison_skip',
	{
		comparisonId: bigint('comparison_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => comparison.id, { onDelete: 'cascade' }),
		userId: text('user_id')
			.notNull()
			.references((): AnyPgColumn => user.id, { onDelete: 'cascade' }),
		skippedAt: bigint('skipped_at', { mode: 'number' }).notNull()
	},
	(t) => [primaryKey({ columns: [t.comparisonId, t.userId] })]
);

export const dataset = pgTable(
	'dataset',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		projectId: bigint('project_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => project.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		filter: text('filter').notNull(),
		trainCount: bigint('train_count', { mode: 'number' }).notNull(),
		valCount: bigint('val_count', { mode: 'number' }).notNull(),
		testCount: bigint('test_count', { mode: 'number' }).notNull(),
		contentHash: text('content_hash').notNull(),
		previousDatasetId: bigint('previous_dataset_id', { mode: 'number' }).references(
			(): AnyPgColumn => dataset.id
		),
		createdBy: text('created_by').references((): AnyPgColumn => user.id, { onDelete: 'set null' }),
		state: text('state').notNull().default('frozen'),
		stagedAt: bigint('staged_at', { mode: 'number' }),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [index('dataset_project_idx').on(t.projectId, t.createdAt)]
);

export const datasetComparison = pgTable(
	'dataset_comparison',
	{
		datasetId: bigint('dataset_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => dataset.id, { onDelete: 'cascade' }),
		comparisonId: bigint('comparison_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => comparison.id),
		preferredExampleId: bigint('preferred_example_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => example.id),
		worseRevisionId: bigint('worse_revision_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => revision.id)
	},
	(t) => [
		primaryKey({ columns: [t.datasetId, t.comparisonId] }),
		index('dataset_comparison_example_idx').on(t.datasetId, t.preferredExampleId)
	]
);

export const datasetItem = pgTable(
	'dataset_item',
	{
		datasetId: bigint('dataset_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => dataset.id, { onDelete: 'cascade' }),
		exampleId: bigint('example_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => example.id),
		revisionId: bigint('revision_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => revision.id),
		split: text('split').notNull()
	},
	(t) => [primaryKey({ columns: [t.datasetId, t.exampleId] })]
);

export const example = pgTable(
	'example',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		projectId: bigint('project_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => project.id, { onDelete: 'cascade' }),
		externalId: text('external_id'),
		dedupeKey: text('dedupe_key'),
		input: text('input').notNull(),
		inputHash: text('input_hash').notNull(),
		conversationKey: text('conversation_key'),
		split: text('split').notNull(),
		source: text('source').notNull(),
		jobId: bigint('job_id', { mode: 'number' }).references((): AnyPgColumn => job.id, {
			onDelete: 'set null'
		}),
		importId: bigint('import_id', { mode: 'number' }).references(
			(): AnyPgColumn => importBatch.id,
			{ onDelete: 'set null' }
		),
		status: text('status').notNull().default('queued'),
		currentRevisionId: bigint('current_revision_id', { mode: 'number' }).references(
			(): AnyPgColumn => revision.id
		),
		reviewCount: bigint('review_count', { mode: 'number' }).notNull().default(0),
		claimable: smallint('claimable').notNull().default(0),
		priority: bigint('priority', { mode: 'number' }).notNull().default(0),
		randomKey: bigint('random_key', { mode: 'number' }).notNull().default(0),
		triage: bigint('triage', { mode: 'number' }).notNull().default(10),
		audited: smallint('audited').notNull().default(0),
		finalRating: doublePrecision('final_rating'),
		finalDecision: text('final_decision'),
		isGold: smallint('is_gold').notNull().default(0),
		goldRating: doublePrecision('gold_rating'),
		createdAt: bigint('created_at', { mode: 'number' }).notNull(),
		updatedAt: bigint('updated_at', { mode: 'number' }).notNull()
	},
	(t) => [
		uniqueIndex('example_dedupe_idx').on(t.projectId, t.dedupeKey),
		index('example_project_id_idx').on(t.projectId, t.id),
		index('example_project_status_idx').on(t.projectId, t.status, t.id),
		index('example_project_split_idx').on(t.projectId, t.split, t.id),
		index('example_project_source_idx').on(t.projectId, t.source, t.id),
		index('example_project_input_hash_idx').on(t.projectId, t.inputHash),
		index('example_conversation_idx')
			.on(t.projectId, t.conversationKey)
			.where(sql.raw('"conversation_key" is not null')),
		index('example_job_idx')
			.on(t.jobId, t.currentRevisionId)
			.where(sql.raw('"job_id" is not null')),
		index('example_import_idx').on(t.importId).where(sql.raw('"import_id" is not null')),
		index('example_gold_idx').on(t.projectId, t.id).where(sql.raw('"is_gold" = 1')),
		index('example_queue_oldest_idx').on(
			t.projectId,
			t.claimable,
			sql.raw('"priority" desc'),
			sql.raw('"review_count" desc'),
			t.id
		),
		index('example_queue_random_idx').on(
			t.projectId,
			t.claimable,
			sql.raw('"priority" desc'),
			sql.raw('"review_count" desc'),
			t.randomKey
		),
		index('example_queue_judged_idx').on(
			t.projectId,
			t.claimable,
			sql.raw('"priority" desc'),
			sql.raw('"review_count" desc'),
			sql.raw('"triage" desc'),
			t.id
		)
	]
);

export const exampleTag = pgTable(
	'example_tag',
	{
		exampleId: bigint('example_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => example.id, { onDelete: 'cascade' }),
		tag: text('tag').notNull()
	},
	(t) => [
		primaryKey({ columns: [t.exampleId, t.tag] }),
		index('example_tag_tag_idx').on(t.tag, t.exampleId)
	]
);

export const fineTune = pgTable(
	'fine_tune',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		projectId: bigint('project_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => project.id, { onDelete: 'cascade' }),
		datasetId: bigint('dataset_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => dataset.id),
		providerId: bigint('provider_id', { mode: 'number' }).references(
			(): AnyPgColumn => provider.id,
			{ onDelete: 'set null' }
		),
		adapter: text('adapter').notNull(),
		method: text('method').notNull().default('supervised'),
		baseModel: text('base_model').notNull(),
		hyperparameters: text('hyperparameters').notNull().default('{}'),
		trainingFileId: text('training_file_id'),
		validationFileId: text('validation_file_id'),
		externalJobId: text('external_job_id'),
		pushedTo: text('pushed_to'),
		launchOwner: text('launch_owner'),
		launchExpiresAt: bigint('launch_expires_at', { mode: 'number' }),
		launchAttemptedAt: bigint('launch_attempted_at', { mode: 'number' }),
		status: text('status').notNull().default('pending'),
		resultModelId: bigint('result_model_id', { mode: 'number' }).references(
			(): AnyPgColumn => model.id,
			{ onDelete: 'set null' }
		),
		error: text('error'),
		createdBy: text('created_by').references((): AnyPgColumn => user.id, { onDelete: 'set null' }),
		createdAt: bigint('created_at', { mode: 'number' }).notNull(),
		finishedAt: bigint('finished_at', { mode: 'number' })
	},
	(t) => [index('fine_tune_project_idx').on(t.projectId, t.createdAt)]
);

export const fineTuneEvent = pgTable(
	'fine_tune_event',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		fineTuneId: bigint('fine_tune_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => fineTune.id, { onDelete: 'cascade' }),
		externalId: text('external_id'),
		level: text('level').notNull().default('info'),
		message: text('message').notNull(),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [uniqueIndex('fine_tune_event_external_idx').on(t.fineTuneId, t.externalId)]
);

export const importBatch = pgTable(
	'import_batch',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		projectId: bigint('project_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => project.id, { onDelete: 'cascade' }),
		userId: text('user_id').references((): AnyPgColumn => user.id, { onDelete: 'set null' }),
		filename: text('filename').notNull(),
		format: text('format').notNull(),
		rowsRead: bigint('rows_read', { mode: 'number' }).notNull(),
		rowsImported: bigint('rows_imported', { mode: 'number' }).notNull(),
		state: text('state').notNull().default('done'),
		stagedAt: bigint('staged_at', { mode: 'number' }),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [index('import_batch_staging_idx').on(t.id).where(sql.raw('"state" = \'staging\''))]
);

export const instanceSetting = pgTable('instance_setting', {
	key: text('key').primaryKey(),
	value: text('value').notNull()
});

export const iteration = pgTable(
	'iteration',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		projectId: bigint('project_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => project.id, { onDelete: 'cascade' }),
		number: bigint('number', { mode: 'number' }).notNull(),
		datasetId: bigint('dataset_id', { mode: 'number' }).references((): AnyPgColumn => dataset.id),
		fineTuneId: bigint('fine_tune_id', { mode: 'number' }).references(
			(): AnyPgColumn => fineTune.id
		),
		evaluationJobId: bigint('evaluation_job_id', { mode: 'number' }).references(
			(): AnyPgColumn => job.id
		),
		evaluationConfig: text('evaluation_config').notNull().default('{}'),
		createdBy: text('created_by').references((): AnyPgColumn => user.id, { onDelete: 'set null' }),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [uniqueIndex('iteration_project_number_idx').on(t.projectId, t.number)]
);

export const job = pgTable(
	'job',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		projectId: bigint('project_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => project.id, { onDelete: 'cascade' }),
		kind: text('kind').notNull(),
		status: text('status').notNull().default('pending'),
		modelId: bigint('model_id', { mode: 'number' }).references((): AnyPgColumn => model.id, {
			onDelete: 'set null'
		}),
		judgeId: bigint('judge_id', { mode: 'number' }).references((): AnyPgColumn => judge.id, {
			onDelete: 'set null'
		}),
		followsJobId: bigint('follows_job_id', { mode: 'number' }).references(
			(): AnyPgColumn => job.id,
			{ onDelete: 'set null' }
		),
		config: text('config').notNull().default('{}'),
		concurrency: bigint('concurrency', { mode: 'number' }).notNull().default(4),
		inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
		outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
		cost: doublePrecision('cost').notNull().default(0),
		error: text('error'),
		createdBy: text('created_by').references((): AnyPgColumn => user.id, { onDelete: 'set null' }),
		createdAt: bigint('created_at', { mode: 'number' }).notNull(),
		startedAt: bigint('started_at', { mode: 'number' }),
		finishedAt: bigint('finished_at', { mode: 'number' })
	},
	(t) => [index('job_project_idx').on(t.projectId, t.createdAt)]
);

export const jobItem = pgTable(
	'job_item',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		jobId: bigint('job_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => job.id, { onDelete: 'cascade' }),
		input: text('input').notNull(),
		inputHash: text('input_hash').notNull(),
		modelId: bigint('model_id', { mode: 'number' }).references((): AnyPgColumn => model.id, {
			onDelete: 'set null'
		}),
		sampleIndex: bigint('sample_index', { mode: 'number' }).notNull().default(0),
		judgedRevisionId: bigint('judged_revision_id', { mode: 'number' }).references(
			(): AnyPgColumn => revision.id,
			{ onDelete: 'cascade' }
		),
		versusRevisionId: bigint('versus_revision_id', { mode: 'number' }).references(
			(): AnyPgColumn => revision.id,
			{ onDelete: 'cascade' }
		),
		status: text('status').notNull().default('pending'),
		attempts: bigint('attempts', { mode: 'number' }).notNull().default(0),
		error: text('error'),
		exampleId: bigint('example_id', { mode: 'number' })
			.unique('job_item_example_id_unique')
			.references((): AnyPgColumn => example.id, { onDelete: 'set null' }),
		inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
		outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
		cost: doublePrecision('cost').notNull().default(0),
		latencyMs: bigint('latency_ms', { mode: 'number' }),
		nextAttemptAt: bigint('next_attempt_at', { mode: 'number' }),
		startedAt: bigint('started_at', { mode: 'number' }),
		finishedAt: bigint('finished_at', { mode: 'number' }),
		leaseOwner: text('lease_owner'),
		leaseExpiresAt: bigint('lease_expires_at', { mode: 'number' }),
		leaseToken: bigint('lease_token', { mode: 'number' }).notNull().default(0)
	},
	(t) => [
		index('job_item_job_status_idx').on(t.jobId, t.status, t.nextAttemptAt),
		index('job_item_pending_idx').on(t.jobId, t.id).where(sql.raw('"status" = \'pending\'')),
		index('job_item_running_idx')
			.on(t.jobId, t.leaseExpiresAt)
			.where(sql.raw('"status" = \'running\'')),
		uniqueIndex('job_item_input_sample_idx').on(t.jobId, t.inputHash, t.sampleIndex),
		index('job_item_job_done_idx').on(t.jobId, t.id).where(sql.raw('"status" = \'done\''))
	]
);

export const judge = pgTable(
	'judge',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		projectId: bigint('project_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => project.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		modelId: bigint('model_id', { mode: 'number' }).references((): AnyPgColumn => model.id, {
			onDelete: 'set null'
		}),
		rubric: text('rubric').notNull(),
		withReference: smallint('with_reference').notNull().default(0),
		temperature: doublePrecision('temperature'),
		trusted: smallint('trusted').notNull().default(0),
		createdBy: text('created_by').references((): AnyPgColumn => user.id, { onDelete: 'set null' }),
		createdAt: bigint('created_at', { mode: 'number' }).notNull(),
		updatedAt: bigint('updated_at', { mode: 'number' }).notNull()
	},
	(t) => [uniqueIndex('judge_project_name_idx').on(t.projectId, t.name)]
);

export const judgePreference = pgTable(
	'judge_preference',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		judgeId: bigint('judge_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => judge.id, { onDelete: 'cascade' }),
		firstRevisionId: bigint('first_revision_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => revision.id, { onDelete: 'cascade' }),
		secondRevisionId: bigint('second_revision_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => revision.id, { onDelete: 'cascade' }),
		winner: text('winner').notNull(),
		rationale: text('rationale').notNull(),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [
		uniqueIndex('judge_preference_pair_idx').on(t.judgeId, t.firstRevisionId, t.secondRevisionId)
	]
);

export const judgment = pgTable(
	'judgment',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		judgeId: bigint('judge_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => judge.id, { onDelete: 'cascade' }),
		exampleId: bigint('example_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => example.id, { onDelete: 'cascade' }),
		revisionId: bigint('revision_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => revision.id, { onDelete: 'cascade' }),
		rating: doublePrecision('rating').notNull(),
		rationale: text('rationale').notNull(),
		requirementRatings: text('requirement_ratings').notNull().default('{}'),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [
		uniqueIndex('judgment_judge_revision_idx').on(t.judgeId, t.revisionId),
		index('judgment_example_idx').on(t.exampleId)
	]
);

export const lease = pgTable(
	'lease',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		exampleId: bigint('example_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => example.id, { onDelete: 'cascade' }),
		revisionId: bigint('revision_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => revision.id, { onDelete: 'cascade' }),
		userId: text('user_id')
			.notNull()
			.references((): AnyPgColumn => user.id, { onDelete: 'cascade' }),
		leasedAt: bigint('leased_at', { mode: 'number' }).notNull(),
		leaseExpiresAt: bigint('lease_expires_at', { mode: 'number' }).notNull()
	},
	(t) => [
		uniqueIndex('lease_example_user_idx').on(t.exampleId, t.userId),
		index('lease_user_idx').on(t.userId, t.leaseExpiresAt),
		index('lease_expires_idx').on(t.leaseExpiresAt)
	]
);

export const loginThrottle = pgTable('login_throttle', {
	key: text('key').primaryKey(),
	failures: bigint('failures', { mode: 'number' }).notNull().default(0),
	lastFailureAt: bigint('last_failure_at', { mode: 'number' }).notNull(),
	lockedUntil: bigint('locked_until', { mode: 'number' })
});

export const model = pgTable(
	'model',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		providerId: bigint('provider_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => provider.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		inputPricePerMTok: doublePrecision('input_price_per_mtok').notNull().default(0),
		outputPricePerMTok: doublePrecision('output_price_per_mtok').notNull().default(0),
		fineTuneId: bigint('fine_tune_id', { mode: 'number' }).references(
			(): AnyPgColumn => fineTune.id,
			{ onDelete: 'set null' }
		),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [uniqueIndex('model_provider_name_idx').on(t.providerId, t.name)]
);

export const modelRetirement = pgTable('model_retirement', {
	id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
	model: text('model').notNull().unique('model_retirement_model_unique'),
	retiresOn: bigint('retires_on', { mode: 'number' }).notNull(),
	source: text('source').notNull(),
	createdAt: bigint('created_at', { mode: 'number' }).notNull()
});

export const project = pgTable('project', {
	id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
	name: text('name').notNull(),
	instruction: text('instruction').notNull().default(''),
	inputKind: text('input_kind').notNull().default('text'),
	inputSchema: text('input_schema'),
	outputKind: text('output_kind').notNull().default('text'),
	conversationTurns: text('conversation_turns').notNull().default('last'),
	outputSchema: text('output_schema'),
	labelSet: text('label_set'),
	ratingScale: text('rating_scale').notNull().default('five_star'),
	threshold: bigint('threshold', { mode: 'number' }).notNull().default(4),
	reviewsRequired: bigint('reviews_required', { mode: 'number' }).notNull().default(1),
	aggregation: text('aggregation').notNull().default('mean'),
	splitTrain: bigint('split_train', { mode: 'number' }).notNull().default(80),
	splitVal: bigint('split_val', { mode: 'number' }).notNull().default(10),
	splitTest: bigint('split_test', { mode: 'number' }).notNull().default(10),
	leaseMinutes: bigint('lease_minutes', { mode: 'number' }).notNull().default(10),
	queueOrder: text('queue_order').notNull().default('oldest'),
	queuePriority: text('queue_priority'),
	repairerReviewCounts: smallint('repairer_review_counts').notNull().default(0),
	goldRate: doublePrecision('gold_rate').notNull().default(0),
	auditShare: doublePrecision('audit_share').notNull().default(0.1),
	createdBy: text('created_by').references((): AnyPgColumn => user.id, { onDelete: 'set null' }),
	createdAt: bigint('created_at', { mode: 'number' }).notNull(),
	updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
	archivedAt: bigint('archived_at', { mode: 'number' })
});

export const projectMember = pgTable(
	'project_member',
	{
		projectId: bigint('project_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => project.id, { onDelete: 'cascade' }),
		userId: text('user_id')
			.notNull()
			.references((): AnyPgColumn => user.id, { onDelete: 'cascade' }),
		addedAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [primaryKey({ columns: [t.projectId, t.userId] }), index('member_user_idx').on(t.userId)]
);

export const provider = pgTable('provider', {
	id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
	name: text('name').notNull(),
	kind: text('kind').notNull().default('openai_compatible'),
	baseUrl: text('base_url').notNull(),
	apiKeyEncrypted: text('api_key_encrypted'),
	accountId: text('account_id'),
	requestsPerMinute: bigint('requests_per_minute', { mode: 'number' }),
	tokensPerMinute: bigint('tokens_per_minute', { mode: 'number' }),
	createdAt: bigint('created_at', { mode: 'number' }).notNull()
});

export const providerBudget = pgTable('provider_budget', {
	providerId: bigint('provider_id', { mode: 'number' })
		.primaryKey()
		.references((): AnyPgColumn => provider.id, { onDelete: 'cascade' }),
	requests: doublePrecision('requests'),
	requestCapacity: doublePrecision('request_capacity'),
	tokens: doublePrecision('tokens'),
	tokenCapacity: doublePrecision('token_capacity'),
	refilledAt: bigint('refilled_at', { mode: 'number' }).notNull(),
	closedUntil: bigint('closed_until', { mode: 'number' }).notNull().default(0)
});

export const requirement = pgTable(
	'requirement',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		projectId: bigint('project_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => project.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		description: text('description').notNull().default(''),
		position: bigint('position', { mode: 'number' }).notNull(),
		archived: smallint('archived').notNull().default(0)
	},
	(t) => [index('requirement_project_idx').on(t.projectId, t.position)]
);

export const review = pgTable(
	'review',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		exampleId: bigint('example_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => example.id, { onDelete: 'cascade' }),
		revisionId: bigint('revision_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => revision.id, { onDelete: 'cascade' }),
		userId: text('user_id')
			.notNull()
			.references((): AnyPgColumn => user.id),
		rating: doublePrecision('rating').notNull(),
		decision: text('decision').notNull(),
		comment: text('comment'),
		durationMs: bigint('duration_ms', { mode: 'number' }),
		submissionKey: text('submission_key').unique('review_submission_key_unique'),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [
		uniqueIndex('review_revision_user_idx').on(t.revisionId, t.userId),
		index('review_example_idx').on(t.exampleId),
		index('review_user_created_idx').on(t.userId, t.createdAt)
	]
);

export const reviewRequirementRating = pgTable(
	'review_requirement_rating',
	{
		reviewId: bigint('review_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => review.id, { onDelete: 'cascade' }),
		requirementId: bigint('requirement_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => requirement.id, { onDelete: 'cascade' }),
		rating: doublePrecision('rating').notNull()
	},
	(t) => [primaryKey({ columns: [t.reviewId, t.requirementId] })]
);

export const reviewSkip = pgTable(
	'review_skip',
	{
		userId: text('user_id')
			.notNull()
			.references((): AnyPgColumn => user.id, { onDelete: 'cascade' }),
		revisionId: bigint('revision_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => revision.id, { onDelete: 'cascade' }),
		exampleId: bigint('example_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => example.id, { onDelete: 'cascade' }),
		skippedAt: bigint('skipped_at', { mode: 'number' }).notNull()
	},
	(t) => [primaryKey({ columns: [t.userId, t.revisionId] })]
);

export const revision = pgTable(
	'revision',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		exampleId: bigint('example_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => example.id, { onDelete: 'cascade' }),
		number: bigint('number', { mode: 'number' }).notNull(),
		parentRevisionId: bigint('parent_revision_id', { mode: 'number' }).references(
			(): AnyPgColumn => revision.id
		),
		output: text('output'),
		reasoning: text('reasoning'),
		authorKind: text('author_kind').notNull(),
		authorUserId: text('author_user_id').references((): AnyPgColumn => user.id, {
			onDelete: 'set null'
		}),
		authorModelId: bigint('author_model_id', { mode: 'number' }).references(
			(): AnyPgColumn => model.id,
			{ onDelete: 'set null' }
		),
		reason: text('reason'),
		schemaValid: smallint('schema_valid'),
		schemaErrors: text('schema_errors'),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [
		uniqueIndex('revision_example_number_idx').on(t.exampleId, t.number),
		index('revision_author_user_idx').on(t.authorUserId).where(sql.raw('"author_kind" = \'user\''))
	]
);

export const session = pgTable(
	'session',
	{
		id: text('id').primaryKey(),
		userId: text('user_id')
			.notNull()
			.references((): AnyPgColumn => user.id, { onDelete: 'cascade' }),
		expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
		createdAt: bigint('created_at', { mode: 'number' }),
		lastSeenAt: bigint('last_seen_at', { mode: 'number' }),
		userAgent: text('user_agent'),
		ipAddress: text('ip_address')
	},
	(t) => [index('session_user_idx').on(t.userId)]
);

export const syntheticInput = pgTable(
	'synthetic_input',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		runId: bigint('run_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => syntheticRun.id, { onDelete: 'cascade' }),
		topicId: bigint('topic_id', { mode: 'number' }).references(
			(): AnyPgColumn => syntheticTopic.id,
			{ onDelete: 'cascade' }
		),
		text: text('text').notNull(),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [index('synthetic_input_run_idx').on(t.runId, t.topicId)]
);

export const syntheticRun = pgTable('synthetic_run', {
	id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
	projectId: bigint('project_id', { mode: 'number' })
		.notNull()
		.references((): AnyPgColumn => project.id, { onDelete: 'cascade' }),
	modelId: bigint('model_id', { mode: 'number' }).references((): AnyPgColumn => model.id, {
		onDelete: 'set null'
	}),
	guidance: text('guidance').notNull().default(''),
	breadth: bigint('breadth', { mode: 'number' }).notNull(),
	depth: bigint('depth', { mode: 'number' }).notNull(),
	inputsPerLeaf: bigint('inputs_per_leaf', { mode: 'number' }).notNull(),
	jobId: bigint('job_id', { mode: 'number' }).references((): AnyPgColumn => job.id, {
		onDelete: 'set null'
	}),
	createdBy: text('created_by').references((): AnyPgColumn => user.id, { onDelete: 'set null' }),
	createdAt: bigint('created_at', { mode: 'number' }).notNull()
});

export const syntheticTopic = pgTable(
	'synthetic_topic',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
		runId: bigint('run_id', { mode: 'number' })
			.notNull()
			.references((): AnyPgColumn => syntheticRun.id, { onDelete: 'cascade' }),
		parentId: bigint('parent_id', { mode: 'number' }).references(
			(): AnyPgColumn => syntheticTopic.id,
			{ onDelete: 'cascade' }
		),
		name: text('name').notNull(),
		depth: bigint('depth', { mode: 'number' }).notNull()
	},
	(t) => [index('synthetic_topic_run_idx').on(t.runId, t.parentId)]
);

export const user = pgTable('user', {
	id: text('id').primaryKey(),
	username: text('username').notNull().unique('user_username_unique'),
	displayName: text('display_name').notNull(),
	passwordHash: text('password_hash').notNull(),
	role: text('role').notNull().default('annotator'),
	active: smallint('active').notNull().default(1),
	theme: text('theme').notNull().default('system'),
	createdAt: bigint('created_at', { mode: 'number' }).notNull()
});

export const wakeSignal = pgTable('wake_signal', {
	channel: text('channel').primaryKey(),
	version: bigint('version', { mode: 'number' }).notNull().default(0)
});

export const worker = pgTable('worker', {
	id: text('id').primaryKey(),
	seenAt: bigint('seen_at', { mode: 'number' }).notNull()
});
