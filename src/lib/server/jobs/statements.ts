import { and, asc, eq, gt, isNull, lte, or, sql } from 'drizzle-orm';
import { type Db, type Tx, changedRows } from '../db';
import { example, job, jobItem, revision } from '../db/schema';
import { preparedKnownSplit } from '../split';

// The runner's queries, built and prepared once per runner: it runs them for every item, and
// building a drizzle query and preparing its SQL each time costs more than running it.
// Values set through a raw placeholder skip the column's encoder, so times go in as
// milliseconds there.

export type ItemOutcome = {
	id: number;
	/** The lease the write is made under: a worker that lost the item writes nothing. */
	leaseOwner: string;
	leaseToken: number;
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
	/** A conversation's key: its turns keep the split the first of them was given. */
	conversationKey: string | null;
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

/** An item a claim may take: pending and due, or running under an expired lease. */
export type ClaimableItem = {
	id: number;
	input: string;
	inputHash: string;
	modelId: number | null;
	/** A judge run's item: the revision it judges (shown first, when compared with another). */
	judgedRevisionId: number | null;
	/** A pairwise judge run's item: the revision shown second. */
	versusRevisionId: number | null;
	attempts: number;
	leaseToken: number;
};
/** An item claimed: its lease token is the one its writes must carry. */
export type ClaimedItem = ClaimableItem;

export function runnerStatements(db: Db) {
	const runningJobs = db.select().from(job).where(eq(job.status, 'running')).prepare();
	// Statements that run inside the runner's transactions are prepared on the writer.
	const w = db.prepareWrites((tx) => tx);
	// Running items under live leases: the calls in flight, and the answers still being written.
	const liveItems = w
		.select({ id: jobItem.id, leaseOwner: jobItem.leaseOwner, leaseToken: jobItem.leaseToken })
		.from(jobItem)
		.where(
			and(
				eq(jobItem.jobId, sql.placeholder('jobId')),
				eq(jobItem.status, 'running'),
				gt(jobItem.leaseExpiresAt, sql.placeholder('now'))
			)
		)
		.prepare();
	const pickable = {
		id: jobItem.id,
		input: jobItem.input,
		inputHash: jobItem.inputHash,
		modelId: jobItem.modelId,
		judgedRevisionId: jobItem.judgedRevisionId,
		versusRevisionId: jobItem.versusRevisionId,
		attempts: jobItem.attempts,
		leaseToken: jobItem.leaseToken
	};
	// Items whose worker stopped renewing their lease (it died, or lost the database).
	const expiredItems = w
		.select(pickable)
		.from(jobItem)
		.where(
			and(
				eq(jobItem.jobId, sql.placeholder('jobId')),
				eq(jobItem.status, 'running'),
				lte(jobItem.leaseExpiresAt, sql.placeholder('now'))
			)
		)
		.orderBy(asc(jobItem.id))
		.limit(sql.placeholder('limit'))
		.prepare();
	const dueItems = w
		.select(pickable)
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
	const claimItem = w
		.update(jobItem)
		.set({
			status: 'running',
			leaseOwner: sql`${sql.placeholder('owner')}`,
			leaseExpiresAt: sql`${sql.placeholder('until')}`,
			leaseToken: sql`${jobItem.leaseToken} + 1`,
			startedAt: sql`${sql.placeholder('now')}`
		})
		.where(
			and(eq(jobItem.id, sql.placeholder('id')), eq(jobItem.leaseToken, sql.placeholder('token')))
		)
		.prepare();
	const renewItem = w
		.update(jobItem)
		.set({ leaseExpiresAt: sql`${sql.placeholder('until')}` })
		.where(
			and(
				eq(jobItem.id, sql.placeholder('id')),
				eq(jobItem.status, 'running'),
				eq(jobItem.leaseOwner, sql.placeholder('owner')),
				eq(jobItem.leaseToken, sql.placeholder('token'))
			)
		)
		.prepare();
	const settleItem = w
		.update(jobItem)
		.set({
			status: sql`${sql.placeholder('status')}`,
			attempts: sql`${sql.placeholder('attempts')}`,
			error: sql`${sql.placeholder('error')}`,
			inputTokens: sql`${sql.placeholder('inputTokens')}`,
			outputTokens: sql`${sql.placeholder('outputTokens')}`,
			cost: sql`${sql.placeholder('cost')}`,
			latencyMs: sql`${sql.placeholder('latencyMs')}`,
			finishedAt: sql`${sql.placeholder('finishedAt')}`,
			leaseOwner: null,
			leaseExpiresAt: null
		})
		.where(
			and(
				eq(jobItem.id, sql.placeholder('id')),
				eq(jobItem.status, 'running'),
				eq(jobItem.leaseOwner, sql.placeholder('leaseOwner')),
				eq(jobItem.leaseToken, sql.placeholder('leaseToken'))
			)
		)
		.prepare();
	const addUsage = w
		.update(job)
		.set({
			inputTokens: sql`${job.inputTokens} + ${sql.placeholder('inputTokens')}`,
			outputTokens: sql`${job.outputTokens} + ${sql.placeholder('outputTokens')}`,
			cost: sql`${job.cost} + ${sql.placeholder('cost')}`
		})
		.where(eq(job.id, sql.placeholder('jobId')))
		.prepare();
	const knownSplit = preparedKnownSplit(w);
	const insertExample = w
		.insert(example)
		.values({
			projectId: sql.placeholder('projectId'),
			dedupeKey: sql.placeholder('dedupeKey'),
			input: sql.placeholder('input'),
			inputHash: sql.placeholder('inputHash'),
			conversationKey: sql.placeholder('conversationKey'),
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
	const insertRevision = w
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
	const setCurrent = w
		.update(example)
		.set({ currentRevisionId: sql<number>`${sql.placeholder('revisionId')}` })
		.where(eq(example.id, sql.placeholder('exampleId')))
		.prepare();
	const linkItem = w
		.update(jobItem)
		.set({ exampleId: sql<number>`${sql.placeholder('exampleId')}` })
		.where(eq(jobItem.id, sql.placeholder('id')))
		.prepare();

	/**
	 * Marks an item finished and, when it yields one, writes its example, in the caller's
	 * transaction. Returns false, writing nothing, when the item is no longer running under this lease (a
	 * cancel won, or the lease expired and another worker took the item).
	 */
	const writeFinished = async (
		tx: Tx,
		outcome: ItemOutcome,
		jobId: number,
		outputs: NewOutput[],
		alongside?: (tx: Tx) => Promise<void>
	) => {
		if ((await changedRows(settleItem.execute(outcome))) === 0) return false;
		await addUsage.execute({ ...outcome, jobId });
		for (const [index, output] of outputs.entries()) {
			const split = (await knownSplit(output)) ?? output.split;
			const created = (await insertExample.execute({ ...output, split }))[0]!;
			const first = (
				await insertRevision.execute({
					...output,
					exampleId: created.id,
					schemaValid: output.schemaValid === null ? null : output.schemaValid ? 1 : 0
				})
			)[0]!;
			await setCurrent.execute({ revisionId: first.id, exampleId: created.id });
			// The item names its first example; a passage's other pairs share its dedupe key stem.
			if (index === 0) await linkItem.execute({ exampleId: created.id, id: output.itemId });
		}
		await alongside?.(tx);
		return true;
	};
	const finishItem = (outcome: ItemOutcome, jobId: number, outputs: NewOutput[]) =>
		db.transaction((tx) => writeFinished(tx, outcome, jobId, outputs));

	/**
	 * Claims up to `share` of a job's items for `owner` until `until`: items whose lease expired
	 * first, then pending ones that are due, never more than leave `concurrency` calls in flight
	 * across every worker. An item stays running until its answer is written; the owner's items
	 * it names as `answered` (under the lease they were answered with) have had their answer and
	 * are no call in flight, so their slots are
	 * taken again without waiting for the write (another worker counts them until then, which
	 * only holds it back). `admit` says, item by item, whether it may go now (the provider's
	 * budget); the first it refuses ends the claim. Runs in the caller's transaction.
	 */
	const claimItems = async (
		claim: {
			jobId: number;
			concurrency: number;
			owner: string;
			now: number;
			until: number;
			/** The most this worker may take now: its share of the concurrency, less its calls in flight. */
			share?: number;
			/** The owner's answered items whose answers are not yet written: id to lease token. */
			answered?: ReadonlyMap<number, number>;
		},
		admit: (item: ClaimableItem) => Promise<boolean>
	): Promise<ClaimedItem[]> => {
		const { jobId, now } = claim;
		const answered = claim.answered;
		const running = await liveItems.execute({ jobId, now });
		// By lease token too: an item this worker answered, lost (its write outlasted the lease)
		// and claimed again is a call in flight once more.
		const live = answered?.size
			? running.filter(
					(r) => !(r.leaseOwner === claim.owner && answered.get(r.id) === r.leaseToken)
				).length
			: running.length;
		let free = Math.min(claim.concurrency - live, claim.share ?? Infinity);
		if (free <= 0) return [];
		const found = await expiredItems.execute({ jobId, now, limit: free });
		if (found.length < free) {
			found.push(...(await dueItems.execute({ jobId, now, limit: free - found.length })));
		}
		const claimed: ClaimedItem[] = [];
		for (const item of found) {
			if (free <= 0 || !(await admit(item))) break;
			const token = item.leaseToken;
			const taken = await changedRows(
				claimItem.execute({ id: item.id, token, owner: claim.owner, until: claim.until, now })
			);
			if (taken === 0) continue;
			claimed.push({ ...item, leaseToken: token + 1 });
			free -= 1;
		}
		return claimed;
	};
	/** Extends the lease of an item still held; false when the worker has lost it. */
	const renewLease = async (id: number, owner: string, token: number, until: number) =>
		(await changedRows(renewItem.execute({ id, owner, token, until }))) > 0;

	return { runningJobs, claimItems, renewLease, writeFinished, finishItem };
}
