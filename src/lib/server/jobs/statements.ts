import { and, asc, eq, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../db';
import { example, job, jobItem, revision } from '../db/schema';

// The runner's queries, built and prepared once per runner: it runs them for every item, and
// building a drizzle query and preparing its SQL each time costs more than running it.
// Values set through a raw placeholder skip the column's encoder, so times go in as
// milliseconds there.

export type ItemOutcome = {
	id: number;
	status: 'done' | 'failed';
	attempts: number;
	error: string | null;
	inputTokens: number;
	outputTokens: number;
	cost: number;
	latencyMs: number;
	/** Milliseconds since the epoch. */
	finishedAt: number;
};

export type NewOutput = {
	jobId: number;
	itemId: number;
	/** Makes the write idempotent: one item's outputs are never written twice. */
	dedupeKey: string;
	projectId: number;
	input: string;
	inputHash: string;
	split: 'train' | 'val' | 'test';
	source: 'distillation' | 'evaluation' | 'documents';
	priority: number;
	randomKey: number;
	output: string;
	reasoning: string | null;
	modelId: number;
	reason: string;
	schemaValid: boolean | null;
	schemaErrors: string | null;
	at: Date;
};

export function runnerStatements(db: Db) {
	const runningJobs = db.select().from(job).where(eq(job.status, 'running')).prepare();
	const dueItems = db
		.select({
			id: jobItem.id,
			input: jobItem.input,
			inputHash: jobItem.inputHash,
			modelId: jobItem.modelId,
			attempts: jobItem.attempts
		})
		.from(jobItem)
		.where(
			and(
				eq(jobItem.jobId, sql.placeholder('jobId')),
				eq(jobItem.status, 'pending'),
				or(isNull(jobItem.nextAttemptAt), lte(jobItem.nextAttemptAt, sql.placeholder('now')))
			)
		)
		.orderBy(asc(jobItem.id))
		.limit(sql.placeholder('limit'))
		.prepare();
	const markRunning = db
		.update(jobItem)
		.set({ status: 'running', startedAt: sql`${sql.placeholder('now')}` })
		.where(and(eq(jobItem.id, sql.placeholder('id')), eq(jobItem.status, 'pending')))
		.prepare();
	const settleItem = db
		.update(jobItem)
		.set({
			status: sql`${sql.placeholder('status')}`,
			attempts: sql`${sql.placeholder('attempts')}`,
			error: sql`${sql.placeholder('error')}`,
			inputTokens: sql`${sql.placeholder('inputTokens')}`,
			outputTokens: sql`${sql.placeholder('outputTokens')}`,
			cost: sql`${sql.placeholder('cost')}`,
			latencyMs: sql`${sql.placeholder('latencyMs')}`,
			finishedAt: sql`${sql.placeholder('finishedAt')}`
		})
		.where(and(eq(jobItem.id, sql.placeholder('id')), eq(jobItem.status, 'running')))
		.prepare();
	const addUsage = db
		.update(job)
		.set({
			inputTokens: sql`${job.inputTokens} + ${sql.placeholder('inputTokens')}`,
			outputTokens: sql`${job.outputTokens} + ${sql.placeholder('outputTokens')}`,
			cost: sql`${job.cost} + ${sql.placeholder('cost')}`
		})
		.where(eq(job.id, sql.placeholder('jobId')))
		.prepare();
	const knownSplit = db
		.select({ split: example.split })
		.from(example)
		.where(
			and(
				eq(example.projectId, sql.placeholder('projectId')),
				eq(example.inputHash, sql.placeholder('inputHash'))
			)
		)
		.limit(1)
		.prepare();
	const insertExample = db
		.insert(example)
		.values({
			projectId: sql.placeholder('projectId'),
			dedupeKey: sql.placeholder('dedupeKey'),
			input: sql.placeholder('input'),
			inputHash: sql.placeholder('inputHash'),
			split: sql.placeholder('split'),
			source: sql.placeholder('source'),
			jobId: sql.placeholder('jobId'),
			status: 'queued',
			claimable: true,
			priority: sql.placeholder('priority'),
			randomKey: sql.placeholder('randomKey'),
			createdAt: sql.placeholder('at'),
			updatedAt: sql.placeholder('at')
		})
		.returning({ id: example.id })
		.prepare();
	const insertRevision = db
		.insert(revision)
		.values({
			exampleId: sql.placeholder('exampleId'),
			number: 1,
			output: sql.placeholder('output'),
			reasoning: sql.placeholder('reasoning'),
			authorKind: 'model',
			authorModelId: sql.placeholder('modelId'),
			reason: sql.placeholder('reason'),
			// Raw, because the boolean column would store an empty value as false.
			schemaValid: sql<boolean | null>`${sql.placeholder('schemaValid')}`,
			schemaErrors: sql.placeholder('schemaErrors'),
			createdAt: sql.placeholder('at')
		})
		.returning({ id: revision.id })
		.prepare();
	const setCurrent = db
		.update(example)
		.set({ currentRevisionId: sql<number>`${sql.placeholder('revisionId')}` })
		.where(eq(example.id, sql.placeholder('exampleId')))
		.prepare();
	const linkItem = db
		.update(jobItem)
		.set({ exampleId: sql<number>`${sql.placeholder('exampleId')}` })
		.where(eq(jobItem.id, sql.placeholder('id')))
		.prepare();

	/**
	 * Marks an item finished and, when it yields one, writes its example, in one transaction.
	 * Returns false, writing nothing, when the item is no longer running (a cancel won).
	 */
	const finish = db.$client.transaction(
		(outcome: ItemOutcome, jobId: number, outputs: NewOutput[]): boolean => {
			if (settleItem.run(outcome).changes === 0) return false;
			addUsage.run({ ...outcome, jobId });
			outputs.forEach((output, index) => {
				const split =
					knownSplit.get({ projectId: output.projectId, inputHash: output.inputHash })?.split ??
					output.split;
				const created = insertExample.get({ ...output, split })!;
				const first = insertRevision.get({
					...output,
					exampleId: created.id,
					schemaValid: output.schemaValid === null ? null : output.schemaValid ? 1 : 0
				})!;
				setCurrent.run({ revisionId: first.id, exampleId: created.id });
				// The item names its first example; a passage's other pairs share its dedupe key stem.
				if (index === 0) linkItem.run({ exampleId: created.id, id: output.itemId });
			});
			return true;
		}
	);
	const finishItem = (outcome: ItemOutcome, jobId: number, outputs: NewOutput[]) =>
		finish.immediate(outcome, jobId, outputs);

	return { runningJobs, dueItems, markRunning, finishItem };
}
