import { and, eq, inArray } from 'drizzle-orm';
import { SCALES, type RatingScale } from '../../ratings';
import type { Db, Tx } from '../db';
import { example, judge, judgment, project, type Project } from '../db/schema';
import { judgeAgreement, ofCurrentRevision } from './agreement';

// The judge-guided queue's order. Each output gets a key, highest served first:
//   3x  a trusted judge fails it;
//   2x  judges disagree on it, one rates it at the threshold's edge, or a judge not yet
//       trusted fails it;
//   10  no judge has rated its current revision yet;
//   0x  every judge passes it clearly.
// Within a tier, the lower the lowest rating, the sooner (x = 9 − that rating's place on the
// scale). The key is kept on the example, so the claim reads one indexed column; it is
// recomputed whenever a judgment of the current revision is saved, a judge's trust is
// measured again, or a new revision makes the old judgments stale.

/** The key of an output no judge has rated: after the doubtful ones, before the clear passes. */
export const UNJUDGED = 10;

export type TriageRating = { rating: number; trusted: boolean };

export function triageKey(ratings: TriageRating[], scale: RatingScale, threshold: number): number {
	if (ratings.length === 0) return UNJUDGED;
	const values = SCALES[scale].map((v) => v.value);
	const top = values[values.length - 1];
	const fails = ratings.filter((r) => r.rating < threshold);
	// At the threshold's edge: the lowest passing value, when the scale goes higher.
	const atEdge = ratings.some((r) => r.rating === threshold && threshold < top);
	// Judges that disagree always include one that fails the output.
	const tier = fails.some((r) => r.trusted) ? 3 : fails.length > 0 || atEdge ? 2 : 0;
	const lowest = Math.min(...ratings.map((r) => r.rating));
	const place = Math.max(
		0,
		values.findIndex((v) => v >= lowest)
	);
	return tier * 10 + (9 - Math.min(place, 9));
}

type Target = Pick<Project, 'id' | 'ratingScale' | 'threshold'>;

async function targetOf(tx: Tx, projectId: number): Promise<Target | undefined> {
	return (
		await tx
			.select({ id: project.id, ratingScale: project.ratingScale, threshold: project.threshold })
			.from(project)
			.where(eq(project.id, projectId))
			.limit(1)
	)[0];
}

/** The judges' ratings of each example's current revision, with each judge's trust. */
async function currentRatings(tx: Tx, projectId: number, exampleIds?: number[]) {
	const rows = await tx
		.select({ exampleId: example.id, rating: judgment.rating, trusted: judge.trusted })
		.from(judgment)
		.innerJoin(example, ofCurrentRevision)
		.innerJoin(judge, eq(judge.id, judgment.judgeId))
		.where(
			and(
				eq(example.projectId, projectId),
				exampleIds ? inArray(example.id, exampleIds) : undefined
			)
		);
	const byExample = new Map<number, TriageRating[]>();
	for (const row of rows) {
		const list = byExample.get(row.exampleId) ?? [];
		list.push({ rating: row.rating, trusted: row.trusted });
		byExample.set(row.exampleId, list);
	}
	return byExample;
}

const BATCH = 5000;

/**
 * Recomputes the queue keys of the given examples (or of every example of the project) from
 * the judgments of their current revisions, in the caller's transaction.
 */
export async function refreshTriage(tx: Tx, projectId: number, exampleIds?: number[]) {
	const target = await targetOf(tx, projectId);
	if (!target) return;
	const ratings = await currentRatings(tx, projectId, exampleIds);
	const byKey = new Map<number, number[]>();
	for (const [exampleId, list] of ratings) {
		const key = triageKey(list, target.ratingScale, target.threshold);
		const ids = byKey.get(key) ?? [];
		ids.push(exampleId);
		byKey.set(key, ids);
	}
	if (exampleIds) {
		const unjudged = exampleIds.filter((id) => !ratings.has(id));
		if (unjudged.length > 0) byKey.set(UNJUDGED, [...(byKey.get(UNJUDGED) ?? []), ...unjudged]);
	} else {
		await tx.update(example).set({ triage: UNJUDGED }).where(eq(example.projectId, projectId));
	}
	for (const [key, ids] of byKey) {
		for (let i = 0; i < ids.length; i += BATCH) {
			await tx
				.update(example)
				.set({ triage: key })
				.where(and(eq(example.projectId, projectId), inArray(example.id, ids.slice(i, i + BATCH))));
		}
	}
}

/** Whether each judge of the project is trusted now, measured against people: reads only. */
export async function measureTrust(db: Db, target: Project): Promise<Map<number, boolean>> {
	const judges = await db
		.select({ id: judge.id })
		.from(judge)
		.where(eq(judge.projectId, target.id));
	const trust = new Map<number, boolean>();
	for (const one of judges) {
		trust.set(one.id, (await judgeAgreement(db, target, one.id)).trust.trusted);
	}
	return trust;
}

/** Keeps each judge's trust and re-keys the queue by it, in the caller's transaction. */
export async function applyTrust(tx: Tx, projectId: number, trust: Map<number, boolean>) {
	for (const [id, trusted] of trust) {
		await tx
			.update(judge)
			.set({ trusted })
			.where(and(eq(judge.id, id), eq(judge.projectId, projectId)));
	}
	await refreshTriage(tx, projectId);
}
