import { and, eq } from 'drizzle-orm';
import type { Db } from './db';
import { example, lease, project, revision } from './db/schema';
import { notStaged } from './import/staging';
import { isOnScale, verdict } from '../ratings';
import { settle } from './reviews';

// Gold examples: an admin gives an example its true rating, and the queue mixes it into every
// annotator's work at the project's gold rate, served like any other example. Each annotator
// judges it once; their reviews measure them against the true rating (the agreement page's
// "accuracy on gold") and never change the example. The example itself stays one example: it
// is accepted or rejected by its true rating, so a dataset takes it at most once.

export type GoldResult = { ok: true } | { ok: false; status: 400 | 404 | 409; message: string };

/** Marks an example as gold with its true rating, in one transaction. */
export async function markGold(
	db: Db,
	projectId: number,
	exampleId: number,
	goldRating: number,
	now: Date
): Promise<GoldResult> {
	return await db.transaction(async (tx) => {
		const target = (await tx.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
		const found = (
			await tx
				.select({ id: example.id, output: revision.output })
				.from(example)
				.leftJoin(revision, eq(revision.id, example.currentRevisionId))
				.where(and(eq(example.id, exampleId), eq(example.projectId, projectId), notStaged()))
				.limit(1)
		)[0];
		if (!target || !found) return { ok: false, status: 404, message: 'No such example.' };
		if (!isOnScale(target.ratingScale, goldRating)) {
			return {
				ok: false,
				status: 400,
				message: 'That rating is not on this project’s scale.'
			};
		}
		if (found.output === null) {
			return {
				ok: false,
				status: 409,
				message: 'This example has no output yet, so there is nothing to rate as gold.'
			};
		}
		const truth = verdict([{ rating: goldRating, decision: 'accept' }], target);
		await tx
			.update(example)
			.set({
				isGold: true,
				goldRating,
				claimable: false,
				status: truth.status,
				finalRating: goldRating,
				finalDecision: truth.finalDecision,
				updatedAt: now
			})
			.where(eq(example.id, exampleId));
		return { ok: true };
	});
}

/**
 * Makes a gold example ordinary again. Its reviews stay; the example's status follows them as
 * for any example, so one with enough reviews settles and one without goes back to the queue.
 */
export async function unmarkGold(
	db: Db,
	projectId: number,
	exampleId: number,
	now: Date
): Promise<GoldResult> {
	return await db.transaction(async (tx) => {
		const target = (await tx.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
		const found = (
			await tx
				.select({ isGold: example.isGold, revisionId: example.currentRevisionId })
				.from(example)
				.where(and(eq(example.id, exampleId), eq(example.projectId, projectId), notStaged()))
				.limit(1)
		)[0];
		if (!target || !found) return { ok: false, status: 404, message: 'No such example.' };
		if (!found.isGold) return { ok: false, status: 409, message: 'This example is not gold.' };
		await tx
			.update(example)
			.set({ isGold: false, goldRating: null, updatedAt: now })
			.where(eq(example.id, exampleId));
		// Gold is served to everyone at once; an ordinary example only to as many as it needs.
		await tx.delete(lease).where(eq(lease.exampleId, exampleId));
		if (found.revisionId !== null) await settle(tx, target, exampleId, found.revisionId, now);
		return { ok: true };
	});
}
