import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { preparedInTransaction, preparedRead, within, type Db, type Tx } from './db';
import { getProject } from './projects';
import {
	example,
	lease,
	project,
	requirement,
	review,
	reviewRequirementRating,
	revision,
	type Example,
	type Project
} from './db/schema';
import { isOnScale, topOfScale, verdict } from '../ratings';
import { compileValidator } from '../jsonSchema';
import { readTurn, type Thread } from '../conversations';
import { isJsonOutput } from '../schemas/project';
import { notStaged } from './import/staging';
import { leaseExpiry } from './queue';
import { UNJUDGED } from './judges/triage';

export type ReviewSubmission = {
	exampleId: number;
	revisionId: number;
	rating: number;
	requirementRatings: Map<number, number>;
	decision: 'accept' | 'reject' | 'repair';
	comment?: string;
	/** The repaired output, with decision "repair". */
	output?: string;
	durationMs?: number;
	/** The client's key for this submission: a retry with the same key changes nothing. */
	submissionKey: string;
};

export type SubmitFailure = {
	ok: false;
	/** 400 for bad input, 409 for a lease or revision that is no longer the annotator's. */
	status: 400 | 404 | 409;
	message: string;
	field?: 'rating' | 'output' | 'requirements' | 'decision';
};

export type SubmitResult =
	| { ok: true; reviewId: number; status: string; duplicate: boolean; newRevisionId?: number }
	| SubmitFailure;

const fail = (status: SubmitFailure['status'], message: string, field?: SubmitFailure['field']) =>
	({ ok: false, status, message, field }) as const;

/**
 * A person's repair of a model's evaluation output makes it training material: from then on
 * it is a "student repair", which datasets take like any other accepted example.
 */
export function sourceAfterRepair(source: Example['source']): Example['source'] {
	return source === 'evaluation' ? 'student_repair' : source;
}

/** Why a repaired output cannot be saved, or its stored text and schema check. */
export function checkRepair(
	target: Pick<Project, 'outputKind' | 'outputSchema'>,
	output: string | undefined,
	previous: string | null,
	input: string
): { error: string } | { text: string } {
	if (output === undefined || output.trim() === '') return { error: 'Write the repaired output.' };
	let text = output;
	if (target.outputKind === 'turn') {
		let parsed: unknown;
		try {
			parsed = JSON.parse(output);
		} catch (e) {
			return { error: `The turn is not valid JSON: ${(e as Error).message}` };
		}
		const read = readTurn(JSON.parse(input) as Thread, parsed);
		if (!read.ok) return { error: read.reason };
		text = JSON.stringify(read.turn);
	} else if (isJsonOutput(target.outputKind)) {
		let parsed: unknown;
		try {
			parsed = JSON.parse(output);
		} catch (e) {
			return { error: `The output is not valid JSON: ${(e as Error).message}` };
		}
		const problem = compileValidator(target.outputSchema)?.(parsed);
		if (problem) return { error: `The output does not fit the project's schema: ${problem}` };
		text = JSON.stringify(parsed);
	}
	if (text === previous)
		return { error: 'The repair is the same as the output; change it or rate it.' };
	return { text };
}

/**
 * Applies the verdict once the current revision has all its reviews. A gold example keeps the
 * status its true rating gave it: its reviews measure the annotators, not the example.
 */
export async function settle(
	tx: Tx,
	target: Project,
	exampleId: number,
	revisionId: number,
	now: Date,
	/** The example's gold flag and status, when the caller has just read them in `tx`. */
	known?: Pick<Example, 'isGold' | 'status'>
) {
	const reviews = await tx
		.select({ rating: review.rating, decision: review.decision })
		.from(review)
		.where(eq(review.revisionId, revisionId));
	const base = { reviewCount: reviews.length, updatedAt: now };
	const gold =
		known ??
		(
			await tx
				.select({ isGold: example.isGold, status: example.status })
				.from(example)
				.where(eq(example.id, exampleId))
				.limit(1)
		)[0];
	if (gold?.isGold) {
		await tx.update(example).set(base).where(eq(example.id, exampleId));
		return gold.status;
	}
	if (reviews.length < target.reviewsRequired) {
		await tx
			.update(example)
			.set({
				...base,
				status: reviews.length > 0 ? 'in_review' : 'queued',
				claimable: true,
				finalRating: null,
				finalDecision: null
			})
			.where(eq(example.id, exampleId));
		return reviews.length > 0 ? 'in_review' : 'queued';
	}
	const result = verdict(reviews, target);
	await tx
		.update(example)
		.set({
			...base,
			status: result.status,
			claimable: false,
			finalRating: result.finalRating,
			finalDecision: result.finalDecision
		})
		.where(eq(example.id, exampleId));
	return result.status;
}

/**
 * Records one annotator's review of the revision they hold a lease on, in one transaction.
 * A repair adds a revision (the judged one is kept) and sends the example back to the queue.
 */
// The submit's fixed queries, prepared once: every review goes through them.
const activeRequirements = preparedRead((q) =>
	q
		.select({ id: requirement.id })
		.from(requirement)
		.where(
			and(eq(requirement.projectId, sql.placeholder('projectId')), eq(requirement.archived, false))
		)
		.prepare()
);
const submitStatements = preparedInTransaction((tx) => ({
	byKey: tx
		.select({ id: review.id, userId: review.userId })
		.from(review)
		.where(eq(review.submissionKey, sql.placeholder('key')))
		.limit(1)
		.prepare(),
	/**
	 * Everything the submit decides on, in one statement: every statement inside the write
	 * transaction holds the write lock for another round trip. The example in its project,
	 * this annotator's lease on it, the revision judged, whether they reviewed it already, and
	 * who used the submission key.
	 */
	context: tx
		.select({
			example,
			leaseRevisionId: lease.revisionId,
			leaseExpiresAt: lease.leaseExpiresAt,
			judged: revision,
			reviewedBefore: sql<
				number | null
			>`(select ${review.id} from ${review} where ${review.revisionId} = ${sql.placeholder('revisionId')} and ${review.userId} = ${sql.placeholder('userId')} limit 1)`,
			keyReviewId: sql<
				number | null
			>`(select ${review.id} from ${review} where ${review.submissionKey} = ${sql.placeholder('key')})`,
			keyUserId: sql<
				string | null
			>`(select ${review.userId} from ${review} where ${review.submissionKey} = ${sql.placeholder('key')})`
		})
		.from(example)
		.leftJoin(
			lease,
			and(eq(lease.exampleId, example.id), eq(lease.userId, sql.placeholder('userId')))
		)
		.leftJoin(
			revision,
			and(eq(revision.id, sql.placeholder('revisionId')), eq(revision.exampleId, example.id))
		)
		.where(
			and(
				eq(example.id, sql.placeholder('exampleId')),
				eq(example.projectId, sql.placeholder('projectId'))
			)
		)
		.limit(1)
		.prepare(),
	dropLease: tx
		.delete(lease)
		.where(
			and(
				eq(lease.exampleId, sql.placeholder('exampleId')),
				eq(lease.userId, sql.placeholder('userId'))
			)
		)
		.prepare()
}));

/**
 * A person's repair of an example's current revision (rule 2): a new revision after it, made
 * the example's current one. The judges rated the old revision, so the repair waits in the
 * queue as unjudged, and leases on the old revision are void. The caller settles the example.
 */
export async function appendRepair(
	tx: Tx,
	target: Pick<Project, 'outputSchema'>,
	found: { id: number; source: Example['source'] },
	judged: { id: number; number: number },
	output: string,
	by: { userId: string; reason: string; now: Date }
): Promise<{ id: number }> {
	const next = (
		await tx
			.insert(revision)
			.values({
				exampleId: found.id,
				number: judged.number + 1,
				parentRevisionId: judged.id,
				output,
				authorKind: 'user',
				authorUserId: by.userId,
				reason: by.reason,
				schemaValid: target.outputSchema ? true : null,
				createdAt: by.now
			})
			.returning({ id: revision.id })
	)[0];
	await tx
		.update(example)
		.set({ currentRevisionId: next.id, source: sourceAfterRepair(found.source), triage: UNJUDGED })
		.where(eq(example.id, found.id));
	await tx.delete(lease).where(eq(lease.exampleId, found.id));
	return next;
}

/**
 * Records one annotator's review of one revision. `project` is the project as the caller's
 * guard just read it, or its id to read it here.
 */
export async function submitReview(
	db: Db,
	project: Project | number,
	userId: string,
	input: ReviewSubmission,
	now: Date
): Promise<SubmitResult> {
	const target = typeof project === 'number' ? await getProject(db, project) : project;
	if (!target) return fail(404, 'No such project.');
	const projectId = target.id;
	if (!isOnScale(target.ratingScale, input.rating)) {
		return fail(400, 'That rating is not on this project’s scale.', 'rating');
	}
	// Read only when ratings name requirements: most submissions carry none.
	const requirementIds = new Set(
		input.requirementRatings.size > 0
			? (await activeRequirements(db).execute({ projectId })).map((r) => r.id)
			: []
	);
	const statements = submitStatements(db);
	for (const [id, rating] of input.requirementRatings) {
		if (!requirementIds.has(id))
			return fail(400, 'A rating names a requirement this project does not have.', 'requirements');
		if (!isOnScale(target.ratingScale, rating)) {
			return fail(400, 'A requirement rating is not on this project’s scale.', 'requirements');
		}
	}

	return await db.transaction(async (tx) => {
		const context = (
			await statements.context.execute({
				exampleId: input.exampleId,
				projectId,
				userId,
				revisionId: input.revisionId,
				key: input.submissionKey
			})
		)[0];
		const earlier = context
			? context.keyReviewId === null
				? undefined
				: { id: context.keyReviewId, userId: context.keyUserId }
			: (await statements.byKey.execute({ key: input.submissionKey }))[0];
		if (earlier) {
			if (earlier.userId !== userId) return fail(409, 'That submission key is taken.');
			const current = (
				await tx
					.select({ status: example.status })
					.from(review)
					.innerJoin(example, eq(example.id, review.exampleId))
					.where(and(eq(review.id, earlier.id), eq(example.projectId, projectId)))
					.limit(1)
			)[0];
			if (!current) return fail(409, 'That submission key is taken.');
			return {
				ok: true,
				reviewId: earlier.id,
				status: current.status,
				duplicate: true
			} as const;
		}
		if (!context) return fail(404, 'No such example in this project.');
		const found = context.example;
		if (context.leaseRevisionId === null || context.leaseExpiresAt === null)
			return fail(409, 'This example is not leased to you any more; it was released or reviewed.');
		if (context.leaseExpiresAt.getTime() <= now.getTime()) {
			return fail(
				409,
				'Your lease on this example ran out, so it may have gone to someone else. Nothing was saved.'
			);
		}
		if (
			context.leaseRevisionId !== input.revisionId ||
			found.currentRevisionId !== input.revisionId
		) {
			return fail(409, 'This example was changed while you had it open. Nothing was saved.');
		}
		if (context.reviewedBefore !== null)
			return fail(409, 'You have reviewed this version already. Nothing was saved.');
		const judged = context.judged!;
		let repaired: string | null = null;
		if (input.decision === 'repair') {
			const checked = checkRepair(target, input.output, judged.output, found.input);
			if ('error' in checked) return fail(400, checked.error, 'output');
			repaired = checked.text;
		} else if (judged.output === null) {
			return fail(400, 'This example has no output yet; write one and choose Repair.', 'decision');
		}

		const created = (
			await tx
				.insert(review)
				.values({
					exampleId: found.id,
					revisionId: input.revisionId,
					userId,
					rating: input.rating,
					decision: input.decision,
					comment: input.comment ?? null,
					durationMs: input.durationMs ?? null,
					submissionKey: input.submissionKey,
					createdAt: now
				})
				.returning({ id: review.id })
		)[0];
		if (input.requirementRatings.size > 0) {
			await tx.insert(reviewRequirementRating).values(
				[...input.requirementRatings].map(([requirementId, rating]) => ({
					reviewId: created.id,
					requirementId,
					rating
				}))
			);
		}
		await statements.dropLease.execute({ exampleId: found.id, userId });

		// A repair of a gold example is judged like any other review, but the gold output
		// stays: it is the answer the annotators are measured against.
		if (repaired === null || found.isGold) {
			const status = await settle(tx, target, found.id, input.revisionId, now, found);
			return { ok: true, reviewId: created.id, status, duplicate: false } as const;
		}
		const next = await appendRepair(tx, target, found, judged, repaired, {
			userId,
			reason: input.comment || 'repaired in review',
			now
		});
		if (target.repairerReviewCounts) {
			await tx.insert(review).values({
				exampleId: found.id,
				revisionId: next.id,
				userId,
				rating: topOfScale(target.ratingScale),
				decision: 'accept',
				comment: 'the repairer’s own review of the repair',
				createdAt: now
			});
		}
		const status = await settle(tx, target, found.id, next.id, now, found);
		return {
			ok: true,
			reviewId: created.id,
			status,
			duplicate: false,
			newRevisionId: next.id
		} as const;
	});
}

export type UndoResult = { ok: true; exampleId: number } | SubmitFailure;

/**
 * Takes back the annotator's review while its lease time lasts, and leases the example to
 * them again so they can review it anew. A repair is not undone: it is a revision now.
 */
export async function undoReview(
	db: Db,
	projectId: number,
	userId: string,
	reviewId: number,
	now: Date
): Promise<UndoResult> {
	return await db.transaction(async (tx) => {
		const target = (await tx.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
		const mine = (
			await tx
				.select({ review, example })
				.from(review)
				.innerJoin(example, eq(example.id, review.exampleId))
				.where(
					and(eq(review.id, reviewId), eq(review.userId, userId), eq(example.projectId, projectId))
				)
				.limit(1)
		)[0];
		if (!target || !mine) return fail(404, 'There is no review of yours to undo.');
		if (mine.review.decision === 'repair') {
			return fail(
				409,
				'A repair cannot be undone: it is a revision now. Review or repair it again instead.'
			);
		}
		if (leaseExpiry(target, mine.review.createdAt).getTime() <= now.getTime()) {
			return fail(409, 'Too late to undo: the lease time for that review has passed.');
		}
		if (mine.example.currentRevisionId !== mine.review.revisionId) {
			return fail(409, 'That example has been repaired since; the review can no longer be undone.');
		}
		await tx.delete(review).where(eq(review.id, reviewId));
		await tx
			.insert(lease)
			.values({
				exampleId: mine.example.id,
				revisionId: mine.review.revisionId,
				userId,
				leasedAt: now,
				leaseExpiresAt: leaseExpiry(target, now)
			})
			.onConflictDoUpdate({
				target: [lease.exampleId, lease.userId],
				set: {
					revisionId: mine.review.revisionId,
					leasedAt: now,
					leaseExpiresAt: leaseExpiry(target, now)
				}
			});
		await settle(tx, target, mine.example.id, mine.review.revisionId, now);
		return { ok: true, exampleId: mine.example.id } as const;
	});
}

/** Revisions copied per insert: well under both databases' limits on a statement's values. */
const REQUEUE_BATCH = 500;

/**
 * Sends examples back for fresh reviews: each gets a new revision with the same output, so
 * the earlier reviews stay with the revision they judged. Three statements whatever the
 * number of examples: copy the current revisions, point the examples at the copies, drop
 * their leases.
 */
export async function requeueExamples(
	db: Db | Tx,
	projectId: number,
	exampleIds: number[],
	now: Date,
	reason = 're-queued for review by an admin'
): Promise<number> {
	if (exampleIds.length === 0) return 0;
	const selected = and(
		eq(example.projectId, projectId),
		inArray(example.id, exampleIds),
		isNotNull(example.currentRevisionId),
		notStaged(),
		// A gold example is never queued as ordinary work; unmark it first.
		eq(example.isGold, false)
	);
	return await within(db, async (tx) => {
		const current = await tx
			.select({
				exampleId: revision.exampleId,
				number: revision.number,
				parentRevisionId: revision.id,
				output: revision.output,
				reasoning: revision.reasoning,
				authorKind: revision.authorKind,
				authorUserId: revision.authorUserId,
				authorModelId: revision.authorModelId,
				schemaValid: revision.schemaValid,
				schemaErrors: revision.schemaErrors
			})
			.from(revision)
			.innerJoin(example, eq(example.currentRevisionId, revision.id))
			.where(selected);
		for (let i = 0; i < current.length; i += REQUEUE_BATCH) {
			await tx
				.insert(revision)
				.values(
					current
						.slice(i, i + REQUEUE_BATCH)
						.map((r) => ({ ...r, number: r.number + 1, reason, createdAt: now }))
				);
		}
		const copied = current.length;
		// The copy is the example's newest revision; its output decides if it can be served.
		const newest = sql`(select max(${revision.id}) from ${revision} where ${revision.exampleId} = ${example.id})`;
		await tx
			.update(example)
			.set({
				currentRevisionId: sql`${newest}`,
				claimable: sql`(select case when ${revision.output} is not null then 1 else 0 end from ${revision} where ${revision.id} = ${newest})`,
				status: 'queued',
				reviewCount: 0,
				finalRating: null,
				finalDecision: null,
				triage: UNJUDGED,
				updatedAt: now
			})
			.where(selected);
		await tx
			.delete(lease)
			.where(inArray(lease.exampleId, tx.select({ id: example.id }).from(example).where(selected)));
		return copied;
	});
}
