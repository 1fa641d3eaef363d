import { and, asc, count, desc, eq, gt, gte, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db';
import { alias } from '../db';
import {
	comparison,
	comparisonJudgment,
	comparisonLease,
	comparisonSkip,
	example,
	project,
	revision,
	type Project
} from '../db/schema';
import { leaseExpiry, startOfUtcDay } from '../queue';
import { appendRepair, checkRepair, settle } from '../reviews';
import { firstOnLeftFor } from '.';

// The comparison queue, held to the rules of the rating queue (DESIGN rule 1): a comparison is
// leased to no more people at once than it still needs judgments, nobody judges one twice, an
// expired lease frees it. Each person sees its outputs in their own order (`firstOnLeftFor`),
// and says left, right or tie; the judgment is kept in the comparison's own order with the
// side the first output was on. Gold comparisons (a known answer) are mixed in at the
// project's gold rate while ordinary work remains, and measure people without being settled.

export type Side = { output: string };
export type ClaimedComparison = {
	comparisonId: number;
	input: string;
	left: Side;
	right: Side;
	leaseExpiresAt: Date;
};

const first = alias(revision, 'first_output');
const second = alias(revision, 'second_output');

async function shown(
	tx: Db | Tx,
	comparisonId: number,
	userId: string,
	leaseExpiresAt: Date
): Promise<ClaimedComparison> {
	const row = (
		await tx
			.select({ input: example.input, first: first.output, second: second.output })
			.from(comparison)
			.innerJoin(example, eq(example.id, comparison.firstExampleId))
			.innerJoin(first, eq(first.id, comparison.firstRevisionId))
			.innerJoin(second, eq(second.id, comparison.secondRevisionId))
			.where(eq(comparison.id, comparisonId))
			.limit(1)
	)[0]!;
	// Which side holds which output stays on the server: the order of a comparison's outputs
	// can say which model wrote each.
	const [left, right] = firstOnLeftFor(comparisonId, userId)
		? [row.first, row.second]
		: [row.second, row.first];
	return {
		comparisonId,
		input: row.input,
		left: { output: left ?? '' },
		right: { output: right ?? '' },
		leaseExpiresAt
	};
}

/** What the person may be served: not judged, skipped or leased by them. */
function servableTo(userId: string, at: number) {
	return [
		sql`not exists (select 1 from ${comparisonJudgment} where ${comparisonJudgment.comparisonId} = ${comparison.id} and ${comparisonJudgment.userId} = ${userId})`,
		sql`not exists (select 1 from ${comparisonSkip} where ${comparisonSkip.comparisonId} = ${comparison.id} and ${comparisonSkip.userId} = ${userId})`,
		sql`not exists (select 1 from ${comparisonLease} where ${comparisonLease.comparisonId} = ${comparison.id} and ${comparisonLease.userId} = ${userId} and ${comparisonLease.leaseExpiresAt} > ${at})`
	];
}

/**
 * Leases the next comparison to the person, in one write transaction: one they hold already
 * (a reload) unless it is on screen (`skip`), else the open one with the most judgments
 * (overlap sets complete first) that still has room, oldest first; or a gold one they have not
 * judged when `goldRoll` falls under the project's gold rate.
 */
export async function claimComparison(
	db: Db,
	projectId: number,
	userId: string,
	now: Date,
	skip: number[] = [],
	goldRoll: number = Math.random(),
	prefer?: number
): Promise<ClaimedComparison | null> {
	return await db.transaction(async (tx) => {
		const target = (await tx.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
		if (!target) return null;
		const at = now.getTime();
		const expiresAt = leaseExpiry(target, now);
		const held = (
			await tx
				.select({ comparisonId: comparisonLease.comparisonId })
				.from(comparisonLease)
				.innerJoin(comparison, eq(comparison.id, comparisonLease.comparisonId))
				.where(
					and(
						eq(comparisonLease.userId, userId),
						eq(comparison.projectId, projectId),
						gt(comparisonLease.leaseExpiresAt, now)
					)
				)
				.orderBy(asc(comparisonLease.leasedAt))
		)
			.filter((h) => !skip.includes(h.comparisonId))
			// The oldest held lease is the one on screen; `prefer` names one to show instead (an undo).
			.sort((a, b) => Number(b.comparisonId === prefer) - Number(a.comparisonId === prefer))[0];
		if (held) {
			await tx
				.update(comparisonLease)
				.set({ leaseExpiresAt: expiresAt })
				.where(
					and(
						eq(comparisonLease.comparisonId, held.comparisonId),
						eq(comparisonLease.userId, userId)
					)
				);
			return await shown(tx, held.comparisonId, userId, expiresAt);
		}
		const notOnScreen = skip.length
			? sql`${comparison.id} not in (${sql.join(
					skip.map((id) => sql`${id}`),
					sql`, `
				)})`
			: undefined;
		const next = (
			await tx
				.select({ id: comparison.id })
				.from(comparison)
				.where(
					and(
						eq(comparison.projectId, projectId),
						eq(comparison.status, 'open'),
						isNull(comparison.goldPreferred),
						sql`${comparison.judgmentCount} + (select count(*) from ${comparisonLease} where ${comparisonLease.comparisonId} = ${comparison.id} and ${comparisonLease.leaseExpiresAt} > ${at}) < ${target.reviewsRequired}`,
						notOnScreen,
						...servableTo(userId, at)
					)
				)
				.orderBy(desc(comparison.judgmentCount), asc(comparison.id))
				.limit(1)
		)[0];
		if (!next) return null;
		const gold =
			goldRoll < target.goldRate
				? (
						await tx
							.select({ id: comparison.id })
							.from(comparison)
							.where(
								and(
									eq(comparison.projectId, projectId),
									isNotNull(comparison.goldPreferred),
									notOnScreen,
									...servableTo(userId, at)
								)
							)
							.orderBy(asc(comparison.id))
							.limit(1)
					)[0]
				: undefined;
		const chosen = gold ?? next;
		await tx
			.insert(comparisonLease)
			.values({ comparisonId: chosen.id, userId, leasedAt: now, leaseExpiresAt: expiresAt })
			.onConflictDoUpdate({
				target: [comparisonLease.comparisonId, comparisonLease.userId],
				set: { leasedAt: now, leaseExpiresAt: expiresAt }
			});
		return await shown(tx, chosen.id, userId, expiresAt);
	});
}

export type ComparisonChoice = 'left' | 'right' | 'tie';

export type ComparisonSubmission = {
	comparisonId: number;
	choice: ComparisonChoice;
	/** 1: slightly better, 2: clearly better. */
	strength?: 1 | 2;
	reason?: string;
	/** A repair of the output chosen as better, made a revision of its example. */
	repair?: string;
	durationMs?: number;
	submissionKey: string;
};

type Failure = { ok: false; status: 400 | 404 | 409; message: string };
export type JudgeResult =
	{ ok: true; judgmentId: number; duplicate: boolean; repairRevisionId: number | null } | Failure;

const failure = (status: Failure['status'], message: string): Failure => ({
	ok: false,
	status,
	message
});

/**
 * Records the person's judgment of a comparison they hold, in one transaction: the choice in
 * the comparison's own order, a repair of the better output as a new revision of its example,
 * and the comparison settled once enough people judged it. The same submission key twice
 * records it once.
 */
export async function judgeComparison(
	db: Db,
	projectId: number,
	userId: string,
	input: ComparisonSubmission,
	now: Date
): Promise<JudgeResult> {
	if (input.repair !== undefined && input.choice === 'tie') {
		return failure(400, 'Choose the better output to repair it; a tie has none.');
	}
	return await db.transaction(async (tx) => {
		const earlier = (
			await tx
				.select({
					id: comparisonJudgment.id,
					userId: comparisonJudgment.userId,
					repairRevisionId: comparisonJudgment.repairRevisionId
				})
				.from(comparisonJudgment)
				.where(eq(comparisonJudgment.submissionKey, input.submissionKey))
				.limit(1)
		)[0];
		if (earlier) {
			if (earlier.userId !== userId) return failure(409, 'That submission key is taken.');
			return {
				ok: true,
				judgmentId: earlier.id,
				duplicate: true,
				repairRevisionId: earlier.repairRevisionId
			} as const;
		}
		const target = (await tx.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
		const found = (
			await tx
				.select()
				.from(comparison)
				.where(and(eq(comparison.id, input.comparisonId), eq(comparison.projectId, projectId)))
				.limit(1)
		)[0];
		if (!target || !found) return failure(404, 'No such comparison in this project.');
		if (found.status !== 'open') {
			return failure(409, 'This comparison has all its judgments already. Nothing was saved.');
		}
		const held = (
			await tx
				.select({ leaseExpiresAt: comparisonLease.leaseExpiresAt })
				.from(comparisonLease)
				.where(and(eq(comparisonLease.comparisonId, found.id), eq(comparisonLease.userId, userId)))
				.limit(1)
		)[0];
		if (!held) {
			return failure(
				409,
				'This comparison is not leased to you any more; it was released or judged.'
			);
		}
		if (held.leaseExpiresAt.getTime() <= now.getTime()) {
			return failure(
				409,
				'Your lease on this comparison ran out, so it may have gone to someone else. Nothing was saved.'
			);
		}
		const firstOnLeft = firstOnLeftFor(found.id, userId);
		const preferred =
			input.choice === 'tie'
				? 'tie'
				: (input.choice === 'left') === firstOnLeft
					? 'first'
					: 'second';
		let repairRevisionId: number | null = null;
		if (input.repair !== undefined) {
			const better =
				preferred === 'first'
					? { exampleId: found.firstExampleId, revisionId: found.firstRevisionId }
					: { exampleId: found.secondExampleId, revisionId: found.secondRevisionId };
			const judged = (
				await tx
					.select({
						id: revision.id,
						number: revision.number,
						output: revision.output,
						exampleId: example.id,
						source: example.source,
						isGold: example.isGold,
						input: example.input,
						currentRevisionId: example.currentRevisionId
					})
					.from(revision)
					.innerJoin(example, eq(example.id, revision.exampleId))
					.where(eq(revision.id, better.revisionId))
					.limit(1)
			)[0]!;
			// A gold example's output is the answer people are measured against: it stays.
			if (judged.isGold) {
				return failure(
					409,
					'That output is a gold answer and is not repaired here; judge without repairing it.'
				);
			}
			if (judged.currentRevisionId !== judged.id) {
				return failure(409, 'That output was repaired since; judge without repairing it.');
			}
			const checked = checkRepair(target, input.repair, judged.output, judged.input);
			if ('error' in checked) return failure(400, checked.error);
			const made = await appendRepair(
				tx,
				target,
				{ id: judged.exampleId, source: judged.source },
				judged,
				checked.text,
				{ userId, reason: input.reason || 'repaired in a comparison', now }
			);
			await settle(tx, target, judged.exampleId, made.id, now);
			repairRevisionId = made.id;
		}
		const created = (
			await tx
				.insert(comparisonJudgment)
				.values({
					comparisonId: found.id,
					userId,
					preferred,
					strength: preferred === 'tie' ? null : (input.strength ?? null),
					reason: input.reason || null,
					firstOnLeft,
					repairRevisionId,
					durationMs: input.durationMs ?? null,
					submissionKey: input.submissionKey,
					createdAt: now
				})
				.returning({ id: comparisonJudgment.id })
		)[0];
		await tx
			.delete(comparisonLease)
			.where(and(eq(comparisonLease.comparisonId, found.id), eq(comparisonLease.userId, userId)));
		await settleComparison(tx, target, found.id, now);
		return { ok: true, judgmentId: created.id, duplicate: false, repairRevisionId } as const;
	});
}

/**
 * A comparison's count and state from its judgments: open until `reviewsRequired` people
 * judged it, then settled on the choice more than half of them made, else disputed. A gold
 * comparison stays open: its answer is known.
 */
async function settleComparison(tx: Tx, target: Project, comparisonId: number, now: Date) {
	const choices = (
		await tx
			.select({ preferred: comparisonJudgment.preferred })
			.from(comparisonJudgment)
			.where(eq(comparisonJudgment.comparisonId, comparisonId))
	).map((j) => j.preferred);
	const gold = (
		await tx
			.select({ goldPreferred: comparison.goldPreferred })
			.from(comparison)
			.where(eq(comparison.id, comparisonId))
			.limit(1)
	)[0];
	let state: {
		status: 'open' | 'settled' | 'disputed';
		preferred: (typeof choices)[number] | null;
	} = {
		status: 'open',
		preferred: null
	};
	if (gold?.goldPreferred === null && choices.length >= target.reviewsRequired) {
		const tally = new Map<string, number>();
		for (const c of choices) tally.set(c, (tally.get(c) ?? 0) + 1);
		const [top, votes] = [...tally].sort((a, b) => b[1] - a[1])[0];
		state =
			votes * 2 > choices.length
				? { status: 'settled', preferred: top as (typeof choices)[number] }
				: { status: 'disputed', preferred: null };
	}
	await tx
		.update(comparison)
		.set({
			judgmentCount: choices.length,
			status: state.status,
			preferred: state.preferred,
			settledAt: state.status === 'open' ? null : now
		})
		.where(eq(comparison.id, comparisonId));
}

/** Passes over a held comparison: it is not served to this person again. */
export async function skipComparison(
	db: Db,
	projectId: number,
	userId: string,
	comparisonId: number,
	now: Date
): Promise<boolean> {
	return await db.transaction(async (tx) => {
		const held = (
			await tx
				.select({ id: comparison.id })
				.from(comparisonLease)
				.innerJoin(comparison, eq(comparison.id, comparisonLease.comparisonId))
				.where(
					and(
						eq(comparisonLease.comparisonId, comparisonId),
						eq(comparisonLease.userId, userId),
						eq(comparison.projectId, projectId)
					)
				)
				.limit(1)
		)[0];
		if (!held) return false;
		await tx
			.delete(comparisonLease)
			.where(
				and(eq(comparisonLease.comparisonId, comparisonId), eq(comparisonLease.userId, userId))
			);
		await tx
			.insert(comparisonSkip)
			.values({ comparisonId, userId, skippedAt: now })
			.onConflictDoNothing();
		return true;
	});
}

/**
 * Takes back the person's judgment while its lease time lasts, and leases the comparison to
 * them again. A judgment that repaired an output is not undone: the repair is a revision now.
 */
export async function undoComparison(
	db: Db,
	projectId: number,
	userId: string,
	judgmentId: number,
	now: Date
): Promise<{ ok: true; comparisonId: number } | Failure> {
	return await db.transaction(async (tx) => {
		const target = (await tx.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
		const mine = (
			await tx
				.select({ judgment: comparisonJudgment })
				.from(comparisonJudgment)
				.innerJoin(comparison, eq(comparison.id, comparisonJudgment.comparisonId))
				.where(
					and(
						eq(comparisonJudgment.id, judgmentId),
						eq(comparisonJudgment.userId, userId),
						eq(comparison.projectId, projectId)
					)
				)
				.limit(1)
		)[0];
		if (!target || !mine) return failure(404, 'There is no judgment of yours to undo.');
		if (mine.judgment.repairRevisionId !== null) {
			return failure(409, 'A repair cannot be undone: it is a revision now.');
		}
		if (leaseExpiry(target, mine.judgment.createdAt).getTime() <= now.getTime()) {
			return failure(409, 'Too late to undo: the lease time for that judgment has passed.');
		}
		const comparisonId = mine.judgment.comparisonId;
		await tx.delete(comparisonJudgment).where(eq(comparisonJudgment.id, judgmentId));
		await tx
			.insert(comparisonLease)
			.values({ comparisonId, userId, leasedAt: now, leaseExpiresAt: leaseExpiry(target, now) })
			.onConflictDoUpdate({
				target: [comparisonLease.comparisonId, comparisonLease.userId],
				set: { leasedAt: now, leaseExpiresAt: leaseExpiry(target, now) }
			});
		await settleComparison(tx, target, comparisonId, now);
		return { ok: true, comparisonId } as const;
	});
}

/**
 * Makes a comparison gold with its known answer (in its own order), or ordinary again with
 * `null`, in one transaction; its state follows from its judgments either way.
 */
export async function setComparisonGold(
	db: Db,
	projectId: number,
	comparisonId: number,
	goldPreferred: 'first' | 'second' | 'tie' | null,
	now: Date
): Promise<boolean> {
	return await db.transaction(async (tx) => {
		const target = (await tx.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
		const found = (
			await tx
				.select({ id: comparison.id })
				.from(comparison)
				.where(and(eq(comparison.id, comparisonId), eq(comparison.projectId, projectId)))
				.limit(1)
		)[0];
		if (!target || !found) return false;
		await tx.update(comparison).set({ goldPreferred }).where(eq(comparison.id, comparisonId));
		await settleComparison(tx, target, comparisonId, now);
		return true;
	});
}

/** What the compare screen shows beside the work: judged today, and open comparisons left. */
export async function comparisonProgress(db: Db, projectId: number, userId: string, now: Date) {
	const since = startOfUtcDay(now);
	const judgedToday =
		(
			await db
				.select({ n: count() })
				.from(comparisonJudgment)
				.innerJoin(comparison, eq(comparison.id, comparisonJudgment.comparisonId))
				.where(
					and(
						eq(comparisonJudgment.userId, userId),
						eq(comparison.projectId, projectId),
						gte(comparisonJudgment.createdAt, since)
					)
				)
		)[0]?.n ?? 0;
	const left =
		(
			await db
				.select({ n: count() })
				.from(comparison)
				.where(
					and(
						eq(comparison.projectId, projectId),
						eq(comparison.status, 'open'),
						isNull(comparison.goldPreferred)
					)
				)
		)[0]?.n ?? 0;
	return { judgedToday, left };
}
