import {
	and,
	asc,
	count,
	desc,
	eq,
	gt,
	gte,
	inArray,
	isNotNull,
	lt,
	lte,
	not,
	notInArray,
	or,
	sql,
	type Placeholder
} from 'drizzle-orm';
import { preparedInTransaction, preparedRead, type Db, changedRows } from './db';
import { example, lease, project, review, reviewSkip, revision, type Project } from './db/schema';
import { notStaged } from './import/staging';

const MINUTE_MS = 60_000;
/**
 * What is left for an annotator is counted exactly up to this many, then shown as "200+":
 * the count runs with every claim, and each example counted costs lookups of its own.
 */
export const QUEUE_COUNT_CAP = 200;

export function leaseExpiry(target: Pick<Project, 'leaseMinutes'>, now: Date): Date {
	return new Date(now.getTime() + target.leaseMinutes * MINUTE_MS);
}

/** Random keys lie in [0, 2^31); the audit sample is the outputs whose key falls under the share. */
export function auditCut(auditShare: number): number {
	return Math.floor(auditShare * 2 ** 31);
}

/** The project's audit sample: a fixed random share of its outputs, chosen by their random key. */
export function inAuditSample(auditShare: number) {
	return lt(example.randomKey, auditCut(auditShare));
}

/** What an annotator is shown: no source, job or model, so review stays blind. */
export type ClaimedExample = {
	exampleId: number;
	revisionId: number;
	input: string;
	output: string | null;
	leaseExpiresAt: Date;
};

const shownStatement = preparedRead((q) =>
	q
		.select({ input: example.input, output: revision.output })
		.from(example)
		.innerJoin(revision, eq(revision.id, sql.placeholder('revisionId')))
		.where(eq(example.id, sql.placeholder('exampleId')))
		.limit(1)
		.prepare()
);

// The claim's fixed queries, prepared once; they run inside its transaction. Times go in as
// milliseconds, since a placeholder skips the column's encoder.
const claimStatements = preparedInTransaction((tx) => ({
	/**
	 * The project, with the leases this user holds on its examples that still wait for this
	 * user's review (a row each, or one row with no lease): one statement, as every statement
	 * in the claim's transaction holds the write lock for another round trip.
	 */
	projectAndHeld: tx
		.select({ project, exampleId: lease.exampleId, revisionId: lease.revisionId })
		.from(project)
		.leftJoin(
			lease,
			and(
				eq(lease.userId, sql.placeholder('userId')),
				gt(lease.leaseExpiresAt, sql.placeholder('at')),
				sql`exists (select 1 from ${example} where ${and(
					eq(example.id, lease.exampleId),
					eq(example.projectId, project.id),
					or(eq(example.claimable, true), eq(example.isGold, true)),
					eq(example.currentRevisionId, lease.revisionId)
				)})`
			)
		)
		.where(eq(project.id, sql.placeholder('projectId')))
		.orderBy(asc(lease.leasedAt), asc(lease.exampleId))
		.prepare()
}));

type Leased = Omit<ClaimedExample, 'input' | 'output'>;

/**
 * What the leased example shows, read once the claim has committed: an input and a revision
 * never change, and the write lock is not held for the read.
 */
async function shown(db: Db, leased: Leased | null): Promise<ClaimedExample | null> {
	if (!leased) return null;
	const row = (await shownStatement(db).execute(leased))[0];
	return row ? { ...leased, input: row.input, output: row.output } : null;
}

/** What makes an example servable to this annotator, whatever its place in the queue. */
function servableTo(userId: string, at: number, skip: number[]) {
	return [
		skip.length > 0 ? notInArray(example.id, skip) : undefined,
		sql`not exists (select 1 from ${lease} where ${lease.exampleId} = ${example.id} and ${lease.userId} = ${userId} and ${lease.leaseExpiresAt} > ${at})`,
		...leftFor(userId)
	];
}

/**
 * The current revision is one this annotator has neither reviewed, skipped, nor written:
 * nobody judges their own repair; an importer may review what they imported. A count may
 * trust `reviewCount` (the reviews of the current revision, which the invariant checks
 * watch) to decide most of a queue without a lookup; the claim, which rule 1 rests on, asks
 * the reviews themselves.
 */
function leftFor(userId: string | Placeholder, trustReviewCount = false) {
	const reviewed = sql`exists (select 1 from ${review} where ${review.revisionId} = ${example.currentRevisionId} and ${review.userId} = ${userId})`;
	return [
		trustReviewCount ? sql`(${example.reviewCount} = 0 or not ${reviewed})` : sql`not ${reviewed}`,
		sql`not exists (select 1 from ${reviewSkip} where ${reviewSkip.revisionId} = ${example.currentRevisionId} and ${reviewSkip.userId} = ${userId})`,
		sql`not exists (select 1 from ${revision} where ${revision.id} = ${example.currentRevisionId} and ${revision.authorKind} = 'user' and ${revision.authorUserId} = ${userId})`
	];
}

/**
 * Leases the next example for this annotator, in one write transaction: an example whose
 * current revision still needs reviews, which the annotator has neither reviewed, written,
 * nor skipped, and whose reviews plus live leases leave room for one more. Started examples
 * come first so overlap sets complete early, then the project's order.
 *
 * An annotator who already holds a live lease gets that example back (a reload, or the
 * example prefetched as "next"), unless it is in `skip` — the ones on screen.
 *
 * Gold examples are mixed in: when `goldRoll` (a number in [0, 1)) falls under the project's
 * gold rate, a gold example this annotator has not yet judged is served in place of the next
 * one. Every annotator judges each gold example once, so it needs one review from each of
 * them; and gold is only ever served while ordinary work remains, so an empty queue never
 * gives it away.
 *
 * In the judge-guided order, `auditRoll` (in [0, 1)) under the project's audit share serves
 * the audit sample instead, so that share of claims stays blind to the judges.
 */
export async function claimNext(
	db: Db,
	projectId: number,
	userId: string,
	now: Date,
	skip: number[] = [],
	prefer?: number,
	goldRoll: number = Math.random(),
	auditRoll: number = Math.random()
): Promise<ClaimedExample | null> {
	const leased = await db.transaction(async (tx): Promise<Leased | null> => {
		const rows = await claimStatements(db).projectAndHeld.execute({
			projectId,
			userId,
			at: now.getTime()
		});
		const target = rows[0]?.project;
		// An archived project's queue serves nothing, not even a lease still held.
		if (!target || target.archivedAt) return null;
		const expiresAt = leaseExpiry(target, now);
		const mine = rows.flatMap((row) =>
			row.exampleId === null || row.revisionId === null || skip.includes(row.exampleId)
				? []
				: [{ exampleId: row.exampleId, revisionId: row.revisionId }]
		);
		// The oldest held lease is the one on screen; `prefer` names one to show instead (an undo).
		const held = mine.find((h) => h.exampleId === prefer) ?? mine[0];
		if (held) {
			await tx
				.update(lease)
				.set({ leaseExpiresAt: expiresAt })
				.where(and(eq(lease.exampleId, held.exampleId), eq(lease.userId, userId)));
			return { exampleId: held.exampleId, revisionId: held.revisionId, leaseExpiresAt: expiresAt };
		}
		const at = now.getTime();
		const waiting = and(
			eq(example.projectId, projectId),
			eq(example.claimable, true),
			notStaged(),
			sql`${example.reviewCount} + (select count(*) from ${lease} where ${lease.exampleId} = ${example.id} and ${lease.leaseExpiresAt} > ${at}) < ${target.reviewsRequired}`,
			...servableTo(userId, at, skip)
		);
		const nextIn = async (pool: 'oldest' | 'random' | 'guided' | 'audit') =>
			(
				await tx
					.select({ id: example.id, revisionId: example.currentRevisionId })
					.from(example)
					.where(
						and(
							waiting,
							pool === 'audit'
								? inAuditSample(target.auditShare)
								: pool === 'guided'
									? not(inAuditSample(target.auditShare))
									: undefined
						)
					)
					.orderBy(
						desc(example.priority),
						desc(example.reviewCount),
						...(pool === 'guided'
							? [desc(example.triage), asc(example.id)]
							: pool === 'oldest'
								? [asc(example.id)]
								: [asc(example.randomKey)])
					)
					.limit(1)
			)[0];
		// Judge-guided: on the audit share of claims the audit sample is served in plain random
		// order, otherwise the rest by the judges' key; either pool stands in when the other is empty.
		const pools =
			target.queueOrder !== 'judged'
				? ([target.queueOrder] as const)
				: auditRoll < target.auditShare
					? (['audit', 'guided'] as const)
					: (['guided', 'audit'] as const);
		let next: { id: number; revisionId: number | null } | undefined;
		let servedFrom: (typeof pools)[number] | undefined;
		for (const pool of pools) {
			next = await nextIn(pool);
			servedFrom = pool;
			if (next) break;
		}
		if (!next || next.revisionId === null) return null;
		const gold =
			goldRoll < target.goldRate
				? (
						await tx
							.select({ id: example.id, revisionId: example.currentRevisionId })
							.from(example)
							.where(
								and(
									eq(example.projectId, projectId),
									eq(example.isGold, true),
									notStaged(),
									isNotNull(example.currentRevisionId),
									...servableTo(userId, at, skip)
								)
							)
							.orderBy(asc(example.randomKey))
							.limit(1)
					)[0]
				: undefined;
		const candidate = gold && gold.revisionId !== null ? gold : next;
		const revisionId = candidate.revisionId!;
		// Marked once served from the audit sample: its verdict is then one the judges did not choose.
		if (candidate === next && servedFrom === 'audit') {
			await tx.update(example).set({ audited: true }).where(eq(example.id, candidate.id));
		}
		await tx
			.insert(lease)
			.values({
				exampleId: candidate.id,
				revisionId,
				userId,
				leasedAt: now,
				leaseExpiresAt: expiresAt
			})
			.onConflictDoUpdate({
				target: [lease.exampleId, lease.userId],
				set: { revisionId, leasedAt: now, leaseExpiresAt: expiresAt }
			});
		return { exampleId: candidate.id, revisionId, leaseExpiresAt: expiresAt };
	});
	return await shown(db, leased);
}

/**
 * Extends this annotator's live leases on the given examples, as the open review page does.
 * An expired lease is not revived: the example may have gone to someone else.
 */
export async function renewLeases(
	db: Db,
	projectId: number,
	userId: string,
	exampleIds: number[],
	now: Date
): Promise<number[]> {
	if (exampleIds.length === 0) return [];
	return await db.transaction(async (tx) => {
		const target = (await tx.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
		if (!target) return [];
		const live = (
			await tx
				.select({ exampleId: lease.exampleId })
				.from(lease)
				.innerJoin(example, eq(example.id, lease.exampleId))
				.where(
					and(
						eq(lease.userId, userId),
						eq(example.projectId, projectId),
						inArray(lease.exampleId, exampleIds),
						gt(lease.leaseExpiresAt, now)
					)
				)
		).map((r) => r.exampleId);
		if (live.length > 0) {
			await tx
				.update(lease)
				.set({ leaseExpiresAt: leaseExpiry(target, now) })
				.where(and(eq(lease.userId, userId), inArray(lease.exampleId, live)));
		}
		return live;
	});
}

/** Gives an example back to the queue and, for this revision, out of this annotator's way. */
export async function skipExample(
	db: Db,
	projectId: number,
	userId: string,
	exampleId: number,
	now: Date
): Promise<boolean> {
	return await db.transaction(async (tx) => {
		const held = (
			await tx
				.select({ revisionId: lease.revisionId })
				.from(lease)
				.innerJoin(example, eq(example.id, lease.exampleId))
				.where(
					and(
						eq(lease.exampleId, exampleId),
						eq(lease.userId, userId),
						eq(example.projectId, projectId)
					)
				)
				.limit(1)
		)[0];
		if (!held) return false;
		await tx.delete(lease).where(and(eq(lease.exampleId, exampleId), eq(lease.userId, userId)));
		await tx
			.insert(reviewSkip)
			.values({ userId, exampleId, revisionId: held.revisionId, skippedAt: now })
			.onConflictDoNothing();
		return true;
	});
}

/** Brings back every example this annotator skipped in the project. */
export async function clearSkips(db: Db, projectId: number, userId: string): Promise<number> {
	const mine = (
		await db
			.select({ exampleId: reviewSkip.exampleId })
			.from(reviewSkip)
			.innerJoin(example, eq(example.id, reviewSkip.exampleId))
			.where(and(eq(reviewSkip.userId, userId), eq(example.projectId, projectId)))
	).map((r) => r.exampleId);
	if (mine.length === 0) return 0;
	return await changedRows(
		db.transaction(async (tx) =>
			tx
				.delete(reviewSkip)
				.where(and(eq(reviewSkip.userId, userId), inArray(reviewSkip.exampleId, mine)))
		)
	);
}

/** An admin frees an example's leases at once, so others can take it. */
export async function releaseLeases(db: Db, projectId: number, exampleId: number): Promise<number> {
	const inProject = (
		await db
			.select({ id: example.id })
			.from(example)
			.where(and(eq(example.id, exampleId), eq(example.projectId, projectId)))
			.limit(1)
	)[0];
	if (!inProject) return 0;
	return await changedRows(
		db.transaction(async (tx) => tx.delete(lease).where(eq(lease.exampleId, exampleId)))
	);
}

/** Leases on an example that are still live, for the example page. */
export async function liveLeases(db: Db, exampleId: number, now: Date) {
	return await db
		.select({
			userId: lease.userId,
			leasedAt: lease.leasedAt,
			leaseExpiresAt: lease.leaseExpiresAt
		})
		.from(lease)
		.where(and(eq(lease.exampleId, exampleId), gt(lease.leaseExpiresAt, now)));
}

/** Forgets leases that ran out long ago; a live one is never touched. */
export async function pruneExpiredLeases(
	db: Db,
	now: Date,
	olderThanMs = 60 * MINUTE_MS
): Promise<number> {
	return await changedRows(
		db.transaction(async (tx) =>
			tx.delete(lease).where(lte(lease.leaseExpiresAt, new Date(now.getTime() - olderThanMs)))
		)
	);
}

export function startOfUtcDay(now: Date): Date {
	return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/**
 * The annotator's progress: reviews today (UTC) in this project, and the examples still
 * waiting that are left for them (not yet reviewed, skipped or written by them).
 */
// Asked with every claim: prepared once.
const progressStatements = preparedRead((q) => {
	// Counted up to a cap: the figure is shown on every claim, and an exact count of a queue
	// of 200,000 costs more than the claim itself.
	const waiting = q
		.select({ id: example.id })
		.from(example)
		.where(
			and(
				eq(example.projectId, sql.placeholder('projectId')),
				eq(example.claimable, true),
				notStaged(),
				...leftFor(sql.placeholder('userId'), true)
			)
		)
		// In the oldest-first queue index's order, so that the rows of an import about to be
		// published (the newest) are the last ones stepped over, not spread among the rest.
		.orderBy(desc(example.priority), desc(example.reviewCount), asc(example.id))
		.limit(QUEUE_COUNT_CAP + 1)
		.as('waiting');
	const reviewedSince = q
		.select({ n: count() })
		.from(review)
		.innerJoin(example, eq(example.id, review.exampleId))
		.where(
			and(
				eq(review.userId, sql.placeholder('userId')),
				gte(review.createdAt, sql.placeholder('since')),
				eq(example.projectId, sql.placeholder('projectId'))
			)
		);
	// Both counts in one statement: one round trip per claim, not two.
	return q
		.select({ waiting: count(), reviewedSince: sql<number>`(${reviewedSince})` })
		.from(waiting)
		.prepare();
});

export async function queueProgress(db: Db, projectId: number, userId: string, now: Date) {
	const since = startOfUtcDay(now).getTime();
	const counted = (await progressStatements(db).execute({ userId, projectId, since }))[0];
	const reviewedToday = Number(counted?.reviewedSince ?? 0);
	const leftForYou = counted?.waiting ?? 0;
	return {
		reviewedToday,
		leftForYou: Math.min(leftForYou, QUEUE_COUNT_CAP),
		moreThanCap: leftForYou > QUEUE_COUNT_CAP
	};
}
