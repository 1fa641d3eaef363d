import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from './db';
import {
	adjudication,
	example,
	lease,
	project,
	review,
	revision,
	user,
	type Project
} from './db/schema';
import { isOnScale, verdict } from '../ratings';
import { checkRepair, sourceAfterRepair } from './reviews';

const PREVIEW_CHARS = 240;
export const REASON_MAX = 2000;

export type DisputedItem = {
	id: number;
	inputPreview: string;
	reviewCount: number;
	/** Why the reviews disagree, worked out again from the reviews of the current revision. */
	disputedBecause: string | null;
	updatedAt: Date;
};

/** A project's disputed examples, oldest first, by keyset on id. */
export async function listDisputed(
	db: Db,
	projectId: number,
	{ limit, afterId }: { limit: number; afterId?: number }
): Promise<{ items: DisputedItem[]; nextAfterId: number | null }> {
	const rules = (await db.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
	if (!rules) return { items: [], nextAfterId: null };
	const rows = await db
		.select({
			id: example.id,
			inputPreview: sql<string>`substr(${example.input}, 1, ${PREVIEW_CHARS})`,
			revisionId: example.currentRevisionId,
			reviewCount: example.reviewCount,
			updatedAt: example.updatedAt
		})
		.from(example)
		.where(
			and(
				eq(example.projectId, projectId),
				eq(example.status, 'disputed'),
				afterId === undefined ? undefined : gt(example.id, afterId)
			)
		)
		.orderBy(asc(example.id))
		.limit(limit + 1);
	const page = rows.slice(0, limit);
	const revisionIds = page.map((r) => r.revisionId).filter((id): id is number => id !== null);
	const reviews =
		revisionIds.length === 0
			? []
			: await db
					.select({
						revisionId: review.revisionId,
						rating: review.rating,
						decision: review.decision
					})
					.from(review)
					.where(inArray(review.revisionId, revisionIds));
	const items = page.map(({ revisionId, ...row }) => {
		const judged = reviews.filter((r) => r.revisionId === revisionId);
		return {
			...row,
			disputedBecause: judged.length > 0 ? verdict(judged, rules).reason : null
		};
	});
	return {
		items,
		nextAfterId: rows.length > limit && page.length > 0 ? page[page.length - 1].id : null
	};
}

export type AdjudicationInput = {
	exampleId: number;
	rating: number;
	decision: 'accept' | 'reject';
	reason: string;
	/** A repaired output; the same as the current output (or blank) means no repair. */
	output?: string;
};

export type AdjudicationFailure = {
	ok: false;
	status: 400 | 404 | 409;
	message: string;
	field?: 'rating' | 'decision' | 'reason' | 'output';
};

export type AdjudicationResult = { ok: true; revisionId: number } | AdjudicationFailure;

const failure = (
	status: AdjudicationFailure['status'],
	message: string,
	field?: AdjudicationFailure['field']
): AdjudicationFailure => ({ ok: false, status, message, field });

/** The stored form of an output, so that re-indented JSON is not taken for a repair. */
function normalized(kind: Project['outputKind'], output: string | null): string | null {
	if (kind === 'text' || output === null) return output;
	try {
		return JSON.stringify(JSON.parse(output));
	} catch {
		return output;
	}
}

/**
 * An admin's resolution of a disputed example, in one transaction: an optional repair as a
 * new revision, the adjudication record (who, when, why), and the final rating and decision.
 */
export async function adjudicate(
	db: Db,
	projectId: number,
	adminId: string,
	input: AdjudicationInput,
	now: Date
): Promise<AdjudicationResult> {
	const reason = input.reason.trim();
	if (reason === '') return failure(400, 'Say why you decided this way.', 'reason');
	if (reason.length > REASON_MAX)
		return failure(400, `Keep the reason under ${REASON_MAX} characters.`, 'reason');
	if (input.decision !== 'accept' && input.decision !== 'reject')
		return failure(400, 'Choose accept or reject.', 'decision');

	return await db.transaction(async (tx) => {
		const target = (await tx.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
		if (!target) return failure(404, 'No such project.');
		if (!isOnScale(target.ratingScale, input.rating))
			return failure(400, 'That rating is not on this project’s scale.', 'rating');
		const found = (
			await tx
				.select()
				.from(example)
				.where(and(eq(example.id, input.exampleId), eq(example.projectId, projectId)))
				.limit(1)
		)[0];
		if (!found) return failure(404, 'No such example in this project.');
		if (found.status !== 'disputed' || found.currentRevisionId === null)
			return failure(409, 'This example is not disputed (any more); nothing was changed.');
		const current = (
			await tx.select().from(revision).where(eq(revision.id, found.currentRevisionId)).limit(1)
		)[0]!;

		let revisionId = current.id;
		const proposed = input.output?.trim() ? input.output : undefined;
		if (proposed !== undefined && proposed !== current.output) {
			const checked = checkRepair(target, proposed, null, found.input);
			if ('error' in checked) return failure(400, checked.error, 'output');
			if (checked.text !== normalized(target.outputKind, current.output)) {
				revisionId = (
					await tx
						.insert(revision)
						.values({
							exampleId: found.id,
							number: current.number + 1,
							parentRevisionId: current.id,
							output: checked.text,
							authorKind: 'user',
							authorUserId: adminId,
							reason: `adjudicated: ${reason}`,
							schemaValid: target.outputSchema ? true : null,
							createdAt: now
						})
						.returning({ id: revision.id })
				)[0].id;
			}
		}
		const repaired = revisionId !== current.id;

		await tx.insert(adjudication).values({
			exampleId: found.id,
			revisionId,
			userId: adminId,
			rating: input.rating,
			decision: input.decision,
			reason,
			createdAt: now
		});
		await tx.delete(lease).where(eq(lease.exampleId, found.id));
		const accepted = input.decision === 'accept' && input.rating >= target.threshold;
		await tx
			.update(example)
			.set({
				currentRevisionId: revisionId,
				source: repaired ? sourceAfterRepair(found.source) : found.source,
				status: accepted ? 'accepted' : 'rejected',
				finalRating: input.rating,
				finalDecision: input.decision,
				claimable: false,
				reviewCount: repaired ? 0 : found.reviewCount,
				updatedAt: now
			})
			.where(eq(example.id, found.id));
		return { ok: true, revisionId } as const;
	});
}

/** Every resolution of the example's disputes, oldest first, with who made it. */
export async function listAdjudications(db: Db, exampleId: number) {
	return await db
		.select({
			id: adjudication.id,
			revisionId: adjudication.revisionId,
			revisionNumber: revision.number,
			adjudicator: user.displayName,
			rating: adjudication.rating,
			decision: adjudication.decision,
			reason: adjudication.reason,
			createdAt: adjudication.createdAt
		})
		.from(adjudication)
		.innerJoin(user, eq(user.id, adjudication.userId))
		.innerJoin(revision, eq(revision.id, adjudication.revisionId))
		.where(eq(adjudication.exampleId, exampleId))
		.orderBy(asc(adjudication.createdAt), asc(adjudication.id));
}

/** The latest resolution, or null. */
export async function getAdjudication(db: Db, exampleId: number) {
	return (await listAdjudications(db, exampleId)).at(-1) ?? null;
}
