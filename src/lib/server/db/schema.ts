import { sql } from 'drizzle-orm';
import {
	sqliteTable,
	text,
	integer,
	real,
	index,
	uniqueIndex,
	primaryKey,
	type AnySQLiteColumn
} from 'drizzle-orm/sqlite-core';

// Timestamps are stored as milliseconds since the epoch so that comparisons stay exact.
const createdAt = () => integer('created_at', { mode: 'timestamp_ms' }).notNull();

export const ROLES = ['admin', 'annotator'] as const;
export type Role = (typeof ROLES)[number];
/** How a person's screens are drawn: as their system is set, or always light or dark. */
export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

export const user = sqliteTable('user', {
	id: text('id').primaryKey(),
	username: text('username').notNull().unique(),
	displayName: text('display_name').notNull(),
	passwordHash: text('password_hash').notNull(),
	role: text('role', { enum: ROLES }).notNull().default('annotator'),
	active: integer('active', { mode: 'boolean' }).notNull().default(true),
	theme: text('theme', { enum: THEMES }).notNull().default('system'),
	createdAt: createdAt()
});

export const session = sqliteTable(
	'session',
	{
		id: text('id').primaryKey(),
		userId: text('user_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
		// Shown on the Account page so people can tell their sessions apart; empty for
		// sessions made before these were recorded.
		createdAt: integer('created_at', { mode: 'timestamp_ms' }),
		/** Updated at most once a minute, so a busy session is not a write per request. */
		lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }),
		userAgent: text('user_agent'),
		ipAddress: text('ip_address')
	},
	(t) => [index('session_user_idx').on(t.userId)]
);

/**
 * Failed logins per account and address ("pair:<addr>|<name>"), per address ("ip:<addr>")
 * and per account ("user:<name>"); see throttle.ts.
 */
export const loginThrottle = sqliteTable('login_throttle', {
	key: text('key').primaryKey(),
	failures: integer('failures').notNull().default(0),
	lastFailureAt: integer('last_failure_at', { mode: 'timestamp_ms' }).notNull(),
	lockedUntil: integer('locked_until', { mode: 'timestamp_ms' })
});

export const apiToken = sqliteTable(
	'api_token',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		userId: text('user_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		tokenHash: text('token_hash').notNull().unique(),
		createdAt: createdAt(),
		lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }),
		revokedAt: integer('revoked_at', { mode: 'timestamp_ms' })
	},
	(t) => [index('api_token_user_idx').on(t.userId)]
);

export const RATING_SCALES = ['five_star', 'pass_fail', 'pass_fail_critical'] as const;
export type RatingScale = (typeof RATING_SCALES)[number];
export const AGGREGATIONS = ['mean', 'median', 'majority'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];
/** What an example's input is: text, JSON, or a conversation (the thread before a turn). */
export const INPUT_KINDS = ['text', 'json', 'conversation'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];
/**
 * What its output is: text, JSON, the next assistant turn of a conversation, or a choice from
 * the project's label set.
 */
export const OUTPUT_KINDS = ['text', 'json', 'turn', 'labels'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];
/** Which assistant turns of an imported conversation become examples. */
export const CONVERSATION_TURNS = ['last', 'each'] as const;
export type ConversationTurns = (typeof CONVERSATION_TURNS)[number];
export const QUEUE_ORDERS = ['oldest', 'random', 'judged'] as const;
export type QueueOrder = (typeof QUEUE_ORDERS)[number];

export const project = sqliteTable('project', {
	id: integer('id').primaryKey({ autoIncrement: true }),
	name: text('name').notNull(),
	instruction: text('instruction').notNull().default(''),
	inputKind: text('input_kind', { enum: INPUT_KINDS }).notNull().default('text'),
	inputSchema: text('input_schema'),
	outputKind: text('output_kind', { enum: OUTPUT_KINDS }).notNull().default('text'),
	/** For conversation inputs: review only each thread's final assistant turn, or every one. */
	conversationTurns: text('conversation_turns', { enum: CONVERSATION_TURNS })
		.notNull()
		.default('last'),
	outputSchema: text('output_schema'),
	/**
	 * For label outputs: the label set as JSON (see schemas/labels.ts); the output schema is
	 * then the one every choice from it fits.
	 */
	labelSet: text('label_set'),
	ratingScale: text('rating_scale', { enum: RATING_SCALES }).notNull().default('five_star'),
	/** five_star: the lowest passing star count; pass_fail scales: 1 = pass. */
	threshold: integer('threshold').notNull().default(4),
	reviewsRequired: integer('reviews_required').notNull().default(1),
	aggregation: text('aggregation', { enum: AGGREGATIONS }).notNull().default('mean'),
	splitTrain: integer('split_train').notNull().default(80),
	splitVal: integer('split_val').notNull().default(10),
	splitTest: integer('split_test').notNull().default(10),
	leaseMinutes: integer('lease_minutes').notNull().default(10),
	queueOrder: text('queue_order', { enum: QUEUE_ORDERS }).notNull().default('oldest'),
	/** A tag or job id whose examples the queue serves first. */
	queuePriority: text('queue_priority'),
	repairerReviewCounts: integer('repairer_review_counts', { mode: 'boolean' })
		.notNull()
		.default(false),
	goldRate: real('gold_rate').notNull().default(0),
	/**
	 * In the judge-guided order, the share of outputs that form the audit sample: served in
	 * plain random order on that share of claims, whatever the judges say.
	 */
	auditShare: real('audit_share').notNull().default(0.1),
	createdBy: text('created_by').references(() => user.id, { onDelete: 'set null' }),
	createdAt: createdAt(),
	updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
	/** Set while the project is archived: its queue serves nothing and no new work starts in it. */
	archivedAt: integer('archived_at', { mode: 'timestamp_ms' })
});

/** A named criterion of a project, rated on its own. Removed ones are kept for old reviews. */
export const requirement = sqliteTable(
	'requirement',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		projectId: integer('project_id')
			.notNull()
			.references(() => project.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		description: text('description').notNull().default(''),
		position: integer('position').notNull(),
		archived: integer('archived', { mode: 'boolean' }).notNull().default(false)
	},
	(t) => [index('requirement_project_idx').on(t.projectId, t.position)]
);

export const projectMember = sqliteTable(
	'project_member',
	{
		projectId: integer('project_id')
			.notNull()
			.references(() => project.id, { onDelete: 'cascade' }),
		userId: text('user_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		addedAt: createdAt()
	},
	(t) => [primaryKey({ columns: [t.projectId, t.userId] }), index('member_user_idx').on(t.userId)]
);

export const PROVIDER_KINDS = ['openai_compatible', 'openai', 'azure_openai', 'together'] as const;

export const provider = sqliteTable('provider', {
	id: integer('id').primaryKey({ autoIncrement: true }),
	name: text('name').notNull(),
	kind: text('kind', { enum: PROVIDER_KINDS }).notNull().default('openai_compatible'),
	baseUrl: text('base_url').notNull(),
	/** AES-GCM ciphertext of the key; never sent to a browser. */
	apiKeyEncrypted: text('api_key_encrypted'),
	/** The account its fine-tuning API works in (Fireworks' account id), where it needs one. */
	accountId: text('account_id'),
	requestsPerMinute: integer('requests_per_minute'),
	tokensPerMinute: integer('tokens_per_minute'),
	createdAt: createdAt()
});

/**
 * Each provider's request and token budget as two token buckets, shared by every worker: a
 * worker takes from them in the transaction that claims the items it is about to call.
 */
export const providerBudget = sqliteTable('provider_budget', {
	providerId: integer('provider_id')
		.primaryKey()
		.references(() => provider.id, { onDelete: 'cascade' }),
	requests: real('requests'),
	requestCapacity: real('request_capacity'),
	tokens: real('tokens'),
	tokenCapacity: real('token_capacity'),
	/** Milliseconds since the epoch when the levels above were last brought up to date. */
	refilledAt: integer('refilled_at').notNull(),
	/** A 429's Retry-After: nothing goes to the provider before this (milliseconds). */
	closedUntil: integer('closed_until').notNull().default(0)
});

/**
 * The job runners at work on this database, each seen again every third of a lease: a worker
 * takes at most its share of a job's concurrency, so that several workers share a job.
 */
export const worker = sqliteTable('worker', {
	id: text('id').primaryKey(),
	seenAt: integer('seen_at', { mode: 'timestamp_ms' }).notNull()
});

/** A counter per channel that a process bumps to wake the processes that watch it. */
export const wakeSignal = sqliteTable('wake_signal', {
	channel: text('channel').primaryKey(),
	version: integer('version').notNull().default(0)
});

/** Facts about this installation that every process must agree on. */
export const instanceSetting = sqliteTable('instance_setting', {
	key: text('key').primaryKey(),
	value: text('value').notNull()
});

export const model = sqliteTable(
	'model',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		providerId: integer('provider_id')
			.notNull()
			.references(() => provider.id, { onDelete: 'cascade' }),
		/** The model's id at its provider. */
		name: text('name').notNull(),
		inputPricePerMTok: real('input_price_per_mtok').notNull().default(0),
		outputPricePerMTok: real('output_price_per_mtok').notNull().default(0),
		/** Set when this model is the result of a fine-tune made here. */
		fineTuneId: integer('fine_tune_id').references((): AnySQLiteColumn => fineTune.id, {
			onDelete: 'set null'
		}),
		createdAt: createdAt()
	},
	(t) => [uniqueIndex('model_provider_name_idx').on(t.providerId, t.name)]
);

/**
 * A base model's known retirement date, with where it was announced: fine-tunes of it are
 * refused after the date and warned about before it (finetune/retirement.ts).
 */
export const modelRetirement = sqliteTable('model_retirement', {
	id: integer('id').primaryKey({ autoIncrement: true }),
	/** The model as its provider names it; covers its dated snapshots and fine-tunes too. */
	model: text('model').notNull().unique(),
	retiresOn: integer('retires_on', { mode: 'timestamp_ms' }).notNull(),
	source: text('source').notNull(),
	createdAt: createdAt()
});

export const JOB_KINDS = [
	'distill',
	'evaluation',
	'synthetic_inputs',
	'documents',
	'judge'
] as const;
export const JOB_STATUSES = [
	'draft',
	'pending',
	'running',
	'paused',
	'cancelled',
	'done',
	'failed'
] as const;

export const job = sqliteTable(
	'job',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		projectId: integer('project_id')
			.notNull()
			.references(() => project.id, { onDelete: 'cascade' }),
		kind: text('kind', { enum: JOB_KINDS }).notNull(),
		status: text('status', { enum: JOB_STATUSES }).notNull().default('pending'),
		modelId: integer('model_id').references(() => model.id, { onDelete: 'set null' }),
		/** A judge run's judge; deleting the judge cancels its runs first. */
		judgeId: integer('judge_id').references((): AnySQLiteColumn => judge.id, {
			onDelete: 'set null'
		}),
		/**
		 * A judge run that judges another job's outputs as they arrive: it takes in each new
		 * output and finishes once that job has stopped and all it wrote is judged.
		 */
		followsJobId: integer('follows_job_id').references((): AnySQLiteColumn => job.id, {
			onDelete: 'set null'
		}),
		/** Sampling parameters, prompt options, input source, samples per input: JSON. */
		config: text('config').notNull().default('{}'),
		concurrency: integer('concurrency').notNull().default(4),
		inputTokens: integer('input_tokens').notNull().default(0),
		outputTokens: integer('output_tokens').notNull().default(0),
		cost: real('cost').notNull().default(0),
		error: text('error'),
		createdBy: text('created_by').references(() => user.id, { onDelete: 'set null' }),
		createdAt: createdAt(),
		startedAt: integer('started_at', { mode: 'timestamp_ms' }),
		finishedAt: integer('finished_at', { mode: 'timestamp_ms' })
	},
	(t) => [index('job_project_idx').on(t.projectId, t.createdAt)]
);

export const JOB_ITEM_STATUSES = ['pending', 'running', 'done', 'failed', 'cancelled'] as const;

export const jobItem = sqliteTable(
	'job_item',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		jobId: integer('job_id')
			.notNull()
			.references(() => job.id, { onDelete: 'cascade' }),
		input: text('input').notNull(),
		inputHash: text('input_hash').notNull(),
		/** The model that answers this item; a job may ask several models for the same input. */
		modelId: integer('model_id').references(() => model.id, { onDelete: 'set null' }),
		sampleIndex: integer('sample_index').notNull().default(0),
		/** A judge run's item: the revision it judges (an output, not an input to answer). */
		judgedRevisionId: integer('judged_revision_id').references((): AnySQLiteColumn => revision.id, {
			onDelete: 'cascade'
		}),
		/** A pairwise judge run's item: the output shown second, against the one shown first. */
		versusRevisionId: integer('versus_revision_id').references((): AnySQLiteColumn => revision.id, {
			onDelete: 'cascade'
		}),
		status: text('status', { enum: JOB_ITEM_STATUSES }).notNull().default('pending'),
		attempts: integer('attempts').notNull().default(0),
		error: text('error'),
		/** The one example this item produced; unique so an item never yields two. */
		exampleId: integer('example_id')
			.unique()
			.references((): AnySQLiteColumn => example.id, { onDelete: 'set null' }),
		inputTokens: integer('input_tokens').notNull().default(0),
		outputTokens: integer('output_tokens').notNull().default(0),
		cost: real('cost').notNull().default(0),
		latencyMs: integer('latency_ms'),
		nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }),
		startedAt: integer('started_at', { mode: 'timestamp_ms' }),
		finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
		/**
		 * A running item belongs to the worker that claimed it until its lease expires; the
		 * worker renews it while the call is in flight. The token goes up with every claim, and
		 * a write carries the token it claimed with, so a worker that lost the item writes nothing.
		 */
		leaseOwner: text('lease_owner'),
		leaseExpiresAt: integer('lease_expires_at', { mode: 'timestamp_ms' }),
		leaseToken: integer('lease_token').notNull().default(0)
	},
	(t) => [
		index('job_item_job_status_idx').on(t.jobId, t.status, t.nextAttemptAt),
		// Pending items in order, so that a claim reads the few it takes rather than sorting
		// every item still waiting (all of a 100,000-item job's at its start).
		index('job_item_pending_idx')
			.on(t.jobId, t.id)
			.where(sql`${t.status} = 'pending'`),
		// Running items by lease: how many are in flight, and which leases have expired.
		index('job_item_running_idx')
			.on(t.jobId, t.leaseExpiresAt)
			.where(sql`${t.status} = 'running'`),
		uniqueIndex('job_item_input_sample_idx').on(t.jobId, t.inputHash, t.sampleIndex),
		// A job's done items in order, so that they can be read a page at a time.
		index('job_item_job_done_idx')
			.on(t.jobId, t.id)
			.where(sql`${t.status} = 'done'`)
	]
);

/**
 * Synthetic inputs grown from a topic tree: the admin gives a root topic and guidance, the
 * teacher proposes subtopics (breadth × depth) and then inputs for each leaf; the admin edits
 * both before any output is generated. Everything is kept here, not in the browser.
 */
export const syntheticRun = sqliteTable('synthetic_run', {
	id: integer('id').primaryKey({ autoIncrement: true }),
	projectId: integer('project_id')
		.notNull()
		.references(() => project.id, { onDelete: 'cascade' }),
	modelId: integer('model_id').references(() => model.id, { onDelete: 'set null' }),
	guidance: text('guidance').notNull().default(''),
	breadth: integer('breadth').notNull(),
	depth: integer('depth').notNull(),
	inputsPerLeaf: integer('inputs_per_leaf').notNull(),
	/** The distillation job started from the drafts, once there is one. */
	jobId: integer('job_id').references(() => job.id, { onDelete: 'set null' }),
	createdBy: text('created_by').references(() => user.id, { onDelete: 'set null' }),
	createdAt: createdAt()
});

export const syntheticTopic = sqliteTable(
	'synthetic_topic',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		runId: integer('run_id')
			.notNull()
			.references(() => syntheticRun.id, { onDelete: 'cascade' }),
		parentId: integer('parent_id').references((): AnySQLiteColumn => syntheticTopic.id, {
			onDelete: 'cascade'
		}),
		name: text('name').notNull(),
		/** 0 for the root. */
		depth: integer('depth').notNull()
	},
	(t) => [index('synthetic_topic_run_idx').on(t.runId, t.parentId)]
);

export const syntheticInput = sqliteTable(
	'synthetic_input',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		runId: integer('run_id')
			.notNull()
			.references(() => syntheticRun.id, { onDelete: 'cascade' }),
		topicId: integer('topic_id').references(() => syntheticTopic.id, { onDelete: 'cascade' }),
		text: text('text').notNull(),
		createdAt: createdAt()
	},
	(t) => [index('synthetic_input_run_idx').on(t.runId, t.topicId)]
);

export const IMPORT_STATES = ['staging', 'done'] as const;
export type ImportState = (typeof IMPORT_STATES)[number];

export const importBatch = sqliteTable(
	'import_batch',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		projectId: integer('project_id')
			.notNull()
			.references(() => project.id, { onDelete: 'cascade' }),
		userId: text('user_id').references(() => user.id, { onDelete: 'set null' }),
		filename: text('filename').notNull(),
		format: text('format').notNull(),
		rowsRead: integer('rows_read').notNull(),
		rowsImported: integer('rows_imported').notNull(),
		/**
		 * 'staging' while its rows are written in short transactions: they are in the tables but
		 * no reader sees them until one short step makes the batch 'done'.
		 */
		state: text('state', { enum: IMPORT_STATES }).notNull().default('done'),
		/** While staging, when the importer last wrote; an import silent for long died with its process. */
		stagedAt: integer('staged_at', { mode: 'timestamp_ms' }),
		createdAt: createdAt()
	},
	(t) => [
		// Staging batches are few and short-lived; every reader of examples looks them up.
		index('import_batch_staging_idx')
			.on(t.id)
			.where(sql`${t.state} = 'staging'`)
	]
);

export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];
export const EXAMPLE_STATUSES = [
	'queued',
	'in_review',
	'accepted',
	'rejected',
	'disputed'
] as const;
export type ExampleStatus = (typeof EXAMPLE_STATUSES)[number];
export const EXAMPLE_SOURCES = [
	'import',
	'distillation',
	'evaluation',
	'student_repair',
	'documents'
] as const;
export type ExampleSource = (typeof EXAMPLE_SOURCES)[number];
export const DECISIONS = ['accept', 'reject', 'repair'] as const;

export const example = sqliteTable(
	'example',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		projectId: integer('project_id')
			.notNull()
			.references(() => project.id, { onDelete: 'cascade' }),
		/** The id given in an imported file, if any. */
		externalId: text('external_id'),
		/** Makes imports idempotent: "id:<external id>" or "content:<hash of input and output>". */
		dedupeKey: text('dedupe_key'),
		input: text('input').notNull(),
		inputHash: text('input_hash').notNull(),
		/**
		 * For a conversation: the hash of its opening, shared by every turn taken from it, so
		 * that they all keep one split (rule 4). Null for other inputs.
		 */
		conversationKey: text('conversation_key'),
		split: text('split', { enum: SPLITS }).notNull(),
		source: text('source', { enum: EXAMPLE_SOURCES }).notNull(),
		jobId: integer('job_id').references(() => job.id, { onDelete: 'set null' }),
		importId: integer('import_id').references(() => importBatch.id, { onDelete: 'set null' }),
		status: text('status', { enum: EXAMPLE_STATUSES }).notNull().default('queued'),
		currentRevisionId: integer('current_revision_id').references(
			(): AnySQLiteColumn => revision.id
		),
		/** Reviews on the current revision; reset when a repair adds a revision. */
		reviewCount: integer('review_count').notNull().default(0),
		/**
		 * True while the current revision has an output and still waits for reviews: the
		 * queue reads only these rows, in the order of the queue indexes below.
		 */
		claimable: integer('claimable', { mode: 'boolean' }).notNull().default(false),
		/** 1 when the project's queue priority (a tag or a job) selects this example. */
		priority: integer('priority').notNull().default(0),
		/** A random number fixed at creation, for projects that serve their queue in random order. */
		randomKey: integer('random_key').notNull().default(0),
		/**
		 * The judge-guided queue's order, highest first: from its judges' ratings of the current
		 * revision (see judges/triage.ts); a new revision starts unjudged.
		 */
		triage: integer('triage').notNull().default(10),
		/**
		 * Served from the audit sample at least once: chosen at random, whatever the judges said,
		 * so people's verdicts on these estimate rates without the judges' choice in the way.
		 */
		audited: integer('audited', { mode: 'boolean' }).notNull().default(false),
		finalRating: real('final_rating'),
		finalDecision: text('final_decision', { enum: DECISIONS }),
		isGold: integer('is_gold', { mode: 'boolean' }).notNull().default(false),
		goldRating: real('gold_rating'),
		createdAt: createdAt(),
		updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull()
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
			.where(sql`${t.conversationKey} is not null`),
		// A failed or abandoned import's staged rows are found and removed by their batch.
		// A judge run that follows a job finds the job's newest outputs by their revision.
		index('example_job_idx')
			.on(t.jobId, t.currentRevisionId)
			.where(sql`${t.jobId} is not null`),
		index('example_import_idx')
			.on(t.importId)
			.where(sql`${t.importId} is not null`),
		// Gold examples are few; the claim looks them up by project when it mixes one in.
		index('example_gold_idx')
			.on(t.projectId, t.id)
			.where(sql`${t.isGold} = 1`),
		// The queue's two orders: started items first, then oldest (or random) first.
		index('example_queue_oldest_idx').on(
			t.projectId,
			t.claimable,
			sql`${t.priority} desc`,
			sql`${t.reviewCount} desc`,
			t.id
		),
		index('example_queue_random_idx').on(
			t.projectId,
			t.claimable,
			sql`${t.priority} desc`,
			sql`${t.reviewCount} desc`,
			t.randomKey
		),
		index('example_queue_judged_idx').on(
			t.projectId,
			t.claimable,
			sql`${t.priority} desc`,
			sql`${t.reviewCount} desc`,
			sql`${t.triage} desc`,
			t.id
		)
	]
);

export const exampleTag = sqliteTable(
	'example_tag',
	{
		exampleId: integer('example_id')
			.notNull()
			.references(() => example.id, { onDelete: 'cascade' }),
		tag: text('tag').notNull()
	},
	(t) => [
		primaryKey({ columns: [t.exampleId, t.tag] }),
		index('example_tag_tag_idx').on(t.tag, t.exampleId)
	]
);

export const AUTHOR_KINDS = ['import', 'model', 'user'] as const;

/** One immutable output of an example: the first one, then every repair. */
export const revision = sqliteTable(
	'revision',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		exampleId: integer('example_id')
			.notNull()
			.references((): AnySQLiteColumn => example.id, { onDelete: 'cascade' }),
		number: integer('number').notNull(),
		parentRevisionId: integer('parent_revision_id').references((): AnySQLiteColumn => revision.id),
		/** Null while the example waits for an output (an import of inputs only). */
		output: text('output'),
		reasoning: text('reasoning'),
		authorKind: text('author_kind', { enum: AUTHOR_KINDS }).notNull(),
		authorUserId: text('author_user_id').references(() => user.id, { onDelete: 'set null' }),
		authorModelId: integer('author_model_id').references(() => model.id, { onDelete: 'set null' }),
		reason: text('reason'),
		/** Null when the project has no output schema. */
		schemaValid: integer('schema_valid', { mode: 'boolean' }),
		schemaErrors: text('schema_errors'),
		createdAt: createdAt()
	},
	(t) => [
		uniqueIndex('revision_example_number_idx').on(t.exampleId, t.number),
		// The claim skips an annotator's own repairs; PostgreSQL plans that NOT EXISTS as an anti
		// join over every revision a person wrote, which without this index is a full scan.
		index('revision_author_user_idx')
			.on(t.authorUserId)
			.where(sql`${t.authorKind} = 'user'`)
	]
);

export const review = sqliteTable(
	'review',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		exampleId: integer('example_id')
			.notNull()
			.references(() => example.id, { onDelete: 'cascade' }),
		revisionId: integer('revision_id')
			.notNull()
			.references(() => revision.id, { onDelete: 'cascade' }),
		userId: text('user_id')
			.notNull()
			.references(() => user.id),
		/** five_star: 1–5; pass_fail: 0 or 1; pass_fail_critical: 0 critical fail, 1 fail, 2 pass. */
		rating: real('rating').notNull(),
		decision: text('decision', { enum: DECISIONS }).notNull(),
		comment: text('comment'),
		durationMs: integer('duration_ms'),
		/** The client's key for this submission, so a retried submit never makes two reviews. */
		submissionKey: text('submission_key').unique(),
		createdAt: createdAt()
	},
	(t) => [
		uniqueIndex('review_revision_user_idx').on(t.revisionId, t.userId),
		index('review_example_idx').on(t.exampleId),
		index('review_user_created_idx').on(t.userId, t.createdAt)
	]
);

export const reviewRequirementRating = sqliteTable(
	'review_requirement_rating',
	{
		reviewId: integer('review_id')
			.notNull()
			.references(() => review.id, { onDelete: 'cascade' }),
		requirementId: integer('requirement_id')
			.notNull()
			.references(() => requirement.id, { onDelete: 'cascade' }),
		rating: real('rating').notNull()
	},
	(t) => [primaryKey({ columns: [t.reviewId, t.requirementId] })]
);

/** A claim on an example by one annotator, so overlap is never exceeded. */
export const lease = sqliteTable(
	'lease',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		exampleId: integer('example_id')
			.notNull()
			.references(() => example.id, { onDelete: 'cascade' }),
		revisionId: integer('revision_id')
			.notNull()
			.references(() => revision.id, { onDelete: 'cascade' }),
		userId: text('user_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		leasedAt: integer('leased_at', { mode: 'timestamp_ms' }).notNull(),
		leaseExpiresAt: integer('lease_expires_at', { mode: 'timestamp_ms' }).notNull()
	},
	(t) => [
		uniqueIndex('lease_example_user_idx').on(t.exampleId, t.userId),
		// An annotator's own leases, found on every claim without reading the project's queue.
		index('lease_user_idx').on(t.userId, t.leaseExpiresAt),
		index('lease_expires_idx').on(t.leaseExpiresAt)
	]
);

/** An example an annotator skipped; it is not served to them again for that revision. */
export const reviewSkip = sqliteTable(
	'review_skip',
	{
		userId: text('user_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		revisionId: integer('revision_id')
			.notNull()
			.references(() => revision.id, { onDelete: 'cascade' }),
		exampleId: integer('example_id')
			.notNull()
			.references(() => example.id, { onDelete: 'cascade' }),
		skippedAt: integer('skipped_at', { mode: 'timestamp_ms' }).notNull()
	},
	(t) => [primaryKey({ columns: [t.userId, t.revisionId] })]
);

/** An admin's resolution of a disputed example. */
export const adjudication = sqliteTable('adjudication', {
	id: integer('id').primaryKey({ autoIncrement: true }),
	exampleId: integer('example_id')
		.notNull()
		.references(() => example.id, { onDelete: 'cascade' }),
	revisionId: integer('revision_id')
		.notNull()
		.references(() => revision.id, { onDelete: 'cascade' }),
	userId: text('user_id')
		.notNull()
		.references(() => user.id),
	rating: real('rating').notNull(),
	decision: text('decision', { enum: DECISIONS }).notNull(),
	reason: text('reason').notNull(),
	createdAt: createdAt()
});

export const DATASET_STATES = ['freezing', 'frozen'] as const;

export const dataset = sqliteTable(
	'dataset',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		projectId: integer('project_id')
			.notNull()
			.references(() => project.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		/** The filter that selected it, as JSON, so it can be shown and repeated. */
		filter: text('filter').notNull(),
		trainCount: integer('train_count').notNull(),
		valCount: integer('val_count').notNull(),
		testCount: integer('test_count').notNull(),
		contentHash: text('content_hash').notNull(),
		previousDatasetId: integer('previous_dataset_id').references((): AnySQLiteColumn => dataset.id),
		createdBy: text('created_by').references(() => user.id, { onDelete: 'set null' }),
		/**
		 * 'freezing' while its items are written in short transactions, seen by no reader;
		 * one short step makes it 'frozen'.
		 */
		state: text('state', { enum: DATASET_STATES }).notNull().default('frozen'),
		/** While freezing, when the freeze last wrote; a silent one died with its process. */
		stagedAt: integer('staged_at', { mode: 'timestamp_ms' }),
		createdAt: createdAt()
	},
	(t) => [index('dataset_project_idx').on(t.projectId, t.createdAt)]
);

export const datasetItem = sqliteTable(
	'dataset_item',
	{
		datasetId: integer('dataset_id')
			.notNull()
			.references(() => dataset.id, { onDelete: 'cascade' }),
		exampleId: integer('example_id')
			.notNull()
			.references(() => example.id),
		revisionId: integer('revision_id')
			.notNull()
			.references(() => revision.id),
		split: text('split', { enum: SPLITS }).notNull()
	},
	(t) => [primaryKey({ columns: [t.datasetId, t.exampleId] })]
);

/**
 * A dataset's preference pairs from comparisons, frozen with it: each settled comparison that
 * preferred an output the dataset holds, at the revision it holds, over the other output. A
 * judgment made or taken back after the freeze changes no file of the dataset.
 */
export const datasetComparison = sqliteTable(
	'dataset_comparison',
	{
		datasetId: integer('dataset_id')
			.notNull()
			.references(() => dataset.id, { onDelete: 'cascade' }),
		comparisonId: integer('comparison_id')
			.notNull()
			.references(() => comparison.id),
		preferredExampleId: integer('preferred_example_id')
			.notNull()
			.references(() => example.id),
		worseRevisionId: integer('worse_revision_id')
			.notNull()
			.references(() => revision.id)
	},
	(t) => [
		primaryKey({ columns: [t.datasetId, t.comparisonId] }),
		index('dataset_comparison_example_idx').on(t.datasetId, t.preferredExampleId)
	]
);

export const FINE_TUNE_ADAPTERS = ['openai', 'together', 'fireworks', 'hf_jobs', 'bundle'] as const;
export const FINE_TUNE_METHODS = ['supervised', 'dpo'] as const;
export const FINE_TUNE_STATUSES = [
	'pending',
	'uploading',
	'validating',
	'queued',
	'running',
	'succeeded',
	'failed',
	'cancelled'
] as const;

export const fineTune = sqliteTable(
	'fine_tune',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		projectId: integer('project_id')
			.notNull()
			.references(() => project.id, { onDelete: 'cascade' }),
		datasetId: integer('dataset_id')
			.notNull()
			.references(() => dataset.id),
		providerId: integer('provider_id').references(() => provider.id, { onDelete: 'set null' }),
		adapter: text('adapter', { enum: FINE_TUNE_ADAPTERS }).notNull(),
		/** Supervised on accepted outputs, or preference (DPO) on repairs over what they repaired. */
		method: text('method', { enum: FINE_TUNE_METHODS }).notNull().default('supervised'),
		baseModel: text('base_model').notNull(),
		hyperparameters: text('hyperparameters').notNull().default('{}'),
		/** The provider's ids of the uploaded files, once uploaded. */
		trainingFileId: text('training_file_id'),
		validationFileId: text('validation_file_id'),
		externalJobId: text('external_job_id'),
		/** The repository a job pushed its adapter to, where the provider does not serve it (HF Jobs). */
		pushedTo: text('pushed_to'),
		/** The worker launching it (uploading, creating the provider's job) and until when. */
		launchOwner: text('launch_owner'),
		launchExpiresAt: integer('launch_expires_at', { mode: 'timestamp_ms' }),
		/** Set just before the provider's job is created: a launch cut short after it looks first. */
		launchAttemptedAt: integer('launch_attempted_at', { mode: 'timestamp_ms' }),
		status: text('status', { enum: FINE_TUNE_STATUSES }).notNull().default('pending'),
		resultModelId: integer('result_model_id').references((): AnySQLiteColumn => model.id, {
			onDelete: 'set null'
		}),
		error: text('error'),
		createdBy: text('created_by').references(() => user.id, { onDelete: 'set null' }),
		createdAt: createdAt(),
		finishedAt: integer('finished_at', { mode: 'timestamp_ms' })
	},
	(t) => [index('fine_tune_project_idx').on(t.projectId, t.createdAt)]
);

export const fineTuneEvent = sqliteTable(
	'fine_tune_event',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		fineTuneId: integer('fine_tune_id')
			.notNull()
			.references(() => fineTune.id, { onDelete: 'cascade' }),
		externalId: text('external_id'),
		level: text('level').notNull().default('info'),
		message: text('message').notNull(),
		createdAt: createdAt()
	},
	(t) => [uniqueIndex('fine_tune_event_external_idx').on(t.fineTuneId, t.externalId)]
);

/** One turn of the re-tune loop. */
export const iteration = sqliteTable(
	'iteration',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		projectId: integer('project_id')
			.notNull()
			.references(() => project.id, { onDelete: 'cascade' }),
		number: integer('number').notNull(),
		datasetId: integer('dataset_id').references(() => dataset.id),
		fineTuneId: integer('fine_tune_id').references(() => fineTune.id),
		evaluationJobId: integer('evaluation_job_id').references(() => job.id),
		/** How the student is evaluated once its fine-tune succeeds: splits and settings, as JSON. */
		evaluationConfig: text('evaluation_config').notNull().default('{}'),
		createdBy: text('created_by').references(() => user.id, { onDelete: 'set null' }),
		createdAt: createdAt()
	},
	(t) => [uniqueIndex('iteration_project_number_idx').on(t.projectId, t.number)]
);

/**
 * A model asked to rate a project's outputs with a rubric built from the project. Its ratings
 * are advice: they never make a final rating, a status, a dataset or a training file.
 */
export const judge = sqliteTable(
	'judge',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		projectId: integer('project_id')
			.notNull()
			.references(() => project.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		modelId: integer('model_id').references(() => model.id, { onDelete: 'set null' }),
		/** The system prompt, with {{instruction}}, {{requirements}} and {{scale}} filled when sent. */
		rubric: text('rubric').notNull(),
		/** Whether the example's reference output, when it has one, is shown to the judge. */
		withReference: integer('with_reference', { mode: 'boolean' }).notNull().default(false),
		temperature: real('temperature'),
		/**
		 * Whether the judge was trusted overall when last measured (a judge run's end, or the
		 * queue settings saved): only a trusted judge's fails go first in the judge-guided queue.
		 */
		trusted: integer('trusted', { mode: 'boolean' }).notNull().default(false),
		createdBy: text('created_by').references(() => user.id, { onDelete: 'set null' }),
		createdAt: createdAt(),
		updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull()
	},
	(t) => [uniqueIndex('judge_project_name_idx').on(t.projectId, t.name)]
);

/** One judge's rating of one revision: bound to that revision, so a repair needs a fresh one. */
export const judgment = sqliteTable(
	'judgment',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		judgeId: integer('judge_id')
			.notNull()
			.references(() => judge.id, { onDelete: 'cascade' }),
		exampleId: integer('example_id')
			.notNull()
			.references(() => example.id, { onDelete: 'cascade' }),
		revisionId: integer('revision_id')
			.notNull()
			.references(() => revision.id, { onDelete: 'cascade' }),
		rating: real('rating').notNull(),
		rationale: text('rationale').notNull(),
		/** Per requirement id: { rating, rationale }, as JSON. */
		requirementRatings: text('requirement_ratings').notNull().default('{}'),
		createdAt: createdAt()
	},
	(t) => [
		uniqueIndex('judgment_judge_revision_idx').on(t.judgeId, t.revisionId),
		index('judgment_example_idx').on(t.exampleId)
	]
);

export const PREFERENCE_WINNERS = ['first', 'second', 'tie'] as const;

/**
 * A judge's comparison of two outputs for the same input, in the order they were shown: each
 * pair is asked in both orders, so a judge's leaning to one side cancels out.
 */
export const judgePreference = sqliteTable(
	'judge_preference',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		judgeId: integer('judge_id')
			.notNull()
			.references(() => judge.id, { onDelete: 'cascade' }),
		firstRevisionId: integer('first_revision_id')
			.notNull()
			.references(() => revision.id, { onDelete: 'cascade' }),
		secondRevisionId: integer('second_revision_id')
			.notNull()
			.references(() => revision.id, { onDelete: 'cascade' }),
		winner: text('winner', { enum: PREFERENCE_WINNERS }).notNull(),
		rationale: text('rationale').notNull(),
		createdAt: createdAt()
	},
	(t) => [
		uniqueIndex('judge_preference_pair_idx').on(t.judgeId, t.firstRevisionId, t.secondRevisionId)
	]
);

export const COMPARISON_STATUSES = ['open', 'settled', 'disputed'] as const;
export type ComparisonStatus = (typeof COMPARISON_STATUSES)[number];

/**
 * Two outputs for the same input, for people to compare blind: each annotator sees them in an
 * order of their own, and says which is better, or that neither is. The outputs are revisions
 * of two examples of the project (two models' answers, or two samples of one model). Settled
 * once `reviewsRequired` people judged it: `preferred` is their majority, or it is disputed.
 */
export const comparison = sqliteTable(
	'comparison',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		projectId: integer('project_id')
			.notNull()
			.references(() => project.id, { onDelete: 'cascade' }),
		firstExampleId: integer('first_example_id')
			.notNull()
			.references(() => example.id, { onDelete: 'cascade' }),
		firstRevisionId: integer('first_revision_id')
			.notNull()
			.references(() => revision.id, { onDelete: 'cascade' }),
		secondExampleId: integer('second_example_id')
			.notNull()
			.references(() => example.id, { onDelete: 'cascade' }),
		secondRevisionId: integer('second_revision_id')
			.notNull()
			.references(() => revision.id, { onDelete: 'cascade' }),
		/** The job whose outputs it compares, when a job made it. */
		jobId: integer('job_id').references(() => job.id, { onDelete: 'set null' }),
		judgmentCount: integer('judgment_count').notNull().default(0),
		status: text('status', { enum: COMPARISON_STATUSES }).notNull().default('open'),
		preferred: text('preferred', { enum: PREFERENCE_WINNERS }),
		/** A gold comparison's known answer: mixed into everyone's work to measure them. */
		goldPreferred: text('gold_preferred', { enum: PREFERENCE_WINNERS }),
		createdBy: text('created_by').references(() => user.id, { onDelete: 'set null' }),
		createdAt: createdAt(),
		settledAt: integer('settled_at', { mode: 'timestamp_ms' })
	},
	(t) => [
		uniqueIndex('comparison_pair_idx').on(t.firstRevisionId, t.secondRevisionId),
		index('comparison_second_idx').on(t.secondRevisionId),
		index('comparison_queue_idx').on(t.projectId, t.status, t.id)
	]
);

/** A claim on a comparison by one annotator, as `lease` is on an example. */
export const comparisonLease = sqliteTable(
	'comparison_lease',
	{
		comparisonId: integer('comparison_id')
			.notNull()
			.references(() => comparison.id, { onDelete: 'cascade' }),
		userId: text('user_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		leasedAt: integer('leased_at', { mode: 'timestamp_ms' }).notNull(),
		leaseExpiresAt: integer('lease_expires_at', { mode: 'timestamp_ms' }).notNull()
	},
	(t) => [
		primaryKey({ columns: [t.comparisonId, t.userId] }),
		index('comparison_lease_user_idx').on(t.userId, t.leaseExpiresAt)
	]
);

/**
 * One annotator's judgment of a comparison: the output they preferred (in the comparison's
 * own order, whatever side it was shown on), how strongly, why, and which side the first
 * output was shown on. A repair of the preferred output is the revision it made.
 */
export const comparisonJudgment = sqliteTable(
	'comparison_judgment',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		comparisonId: integer('comparison_id')
			.notNull()
			.references(() => comparison.id, { onDelete: 'cascade' }),
		userId: text('user_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		preferred: text('preferred', { enum: PREFERENCE_WINNERS }).notNull(),
		/** 1: slightly better, 2: clearly better; none for a tie or when not said. */
		strength: integer('strength'),
		reason: text('reason'),
		firstOnLeft: integer('first_on_left', { mode: 'boolean' }).notNull(),
		repairRevisionId: integer('repair_revision_id').references(() => revision.id, {
			onDelete: 'set null'
		}),
		durationMs: integer('duration_ms'),
		submissionKey: text('submission_key').unique(),
		createdAt: createdAt()
	},
	(t) => [uniqueIndex('comparison_judgment_user_idx').on(t.comparisonId, t.userId)]
);

/** A comparison an annotator passed over; it is not served to them again. */
export const comparisonSkip = sqliteTable(
	'comparison_skip',
	{
		comparisonId: integer('comparison_id')
			.notNull()
			.references(() => comparison.id, { onDelete: 'cascade' }),
		userId: text('user_id')
			.notNull()
			.references(() => user.id, { onDelete: 'cascade' }),
		skippedAt: integer('skipped_at', { mode: 'timestamp_ms' }).notNull()
	},
	(t) => [primaryKey({ columns: [t.comparisonId, t.userId] })]
);

export type User = typeof user.$inferSelect;
export type Session = typeof session.$inferSelect;
export type Project = typeof project.$inferSelect;
export type ModelRetirement = typeof modelRetirement.$inferSelect;
export type Requirement = typeof requirement.$inferSelect;
export type Example = typeof example.$inferSelect;
export type Revision = typeof revision.$inferSelect;
export type Review = typeof review.$inferSelect;
export type Lease = typeof lease.$inferSelect;
export type Comparison = typeof comparison.$inferSelect;
export type ComparisonJudgment = typeof comparisonJudgment.$inferSelect;
export type ReviewSkip = typeof reviewSkip.$inferSelect;
export type Dataset = typeof dataset.$inferSelect;
export type FineTune = typeof fineTune.$inferSelect;
export type Job = typeof job.$inferSelect;
export type Provider = typeof provider.$inferSelect;
export type Model = typeof model.$inferSelect;
export type JobItem = typeof jobItem.$inferSelect;
export type SyntheticRun = typeof syntheticRun.$inferSelect;
export type SyntheticTopic = typeof syntheticTopic.$inferSelect;
export type FineTuneEvent = typeof fineTuneEvent.$inferSelect;
export type Iteration = typeof iteration.$inferSelect;
export type Judge = typeof judge.$inferSelect;
export type Judgment = typeof judgment.$inferSelect;
export type JudgePreference = typeof judgePreference.$inferSelect;
