import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
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
import { REASON_MAX } from '../schemas/adjudication';

const PREVIEW_CHARS = 240;

export type DisputedItem = {
	id: number;
	inputPreview: string;
	reviewCount: number;
	/** The current revision's ratings, lowest first. */
	ratings: number[];
	/** The highest rating less the lowest: how far apart the reviewers are. */
	spread: number;
	/** Why the reviews disagree, worked out again from the reviews of the current revision. */
	disputedBecause: string | null;
	/** When the example last changed, which for a disputed one is when its last review came. */
	updatedAt: Date;
};

/** How the dispute list may be ordered; the first is the default. */
export const DISPUTE_ORDERS = ['oldest', 'newest', 'spread'] as const;
export type DisputeOrder = (typeof DISPUTE_ORDERS)[number];

/**
 * A project's disputed examples, a page at a time: oldest first, newest first, or the widest
 * disagreement first. A project's disputes are few enough for pages by offset.
 */
export async function listDisputed(
	db: Db,
	projectId: number,
	{ limit, offset = 0, order = 'oldest' }: { limit: number; offset?: number; order?: DisputeOrder }
): Promise<{ items: DisputedItem[]; total: number }> {
	const rules = (await db.select().from(project).where(eq(project.id, projectId)).limit(1))[0];
	if (!rules) return { items: [], total: 0 };
	const spread = sql<number>`coalesce((select max(${review.rating}) - min(${review.rating}) from ${review} where ${review.revisionId} = ${example.currentRevisionId}), 0)`;
	const disputedHere = and(eq(example.projectId, projectId), eq(example.status, 'disputed'));
	const sorted =
		order === 'newest'
			? [desc(example.updatedAt), desc(example.id)]
			: order === 'spread'
				? [desc(spread), asc(example.updatedAt), asc(example.id)]
				: [asc(example.updatedAt), asc(example.id)];
	const [rows, counted] = await Promise.all([
		db
			.select({
				id: example.id,
				inputPreview: sql<string>`substr(${example.input}, 1, ${PREVIEW_CHARS})`,
				revisionId: example.currentRevisionId,
				reviewCount: example.reviewCount,
				updatedAt: example.updatedAt
			})
			.from(example)
			.where(disputedHere)
			.orderBy(...sorted)
			.limit(limit)
			.offset(offset),
		db.select({ n: count() }).from(example).where(disputedHere).limit(1)
	]);
	const revisionIds = rows.map((r) => r.revisionId).filter((id): id is number => id !== null);
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
	const items = rows.map(({ revisionId, ...row }) => {
		const judged = reviews.filter((r) => r.revisionId === revisionId);
		const ratings = judged.map((r) => r.rating).sort((a, b) => a - b);
		return {
			...row,
			ratings,
			spread: ratings.length > 0 ? ratings[ratings.length - 1] - ratings[0] : 0,
			disputedBecause: judged.length > 0 ? verdict(judged, rules).reason : null
		};
	});
	return { items, total: Number(counted[0]?.n ?? 0) };
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
/**
 * An output as compared for "did the adjudicator change it": JSON by its value, not its
 * layout (the editor shows it pretty-printed), and line ends as a browser's form sends them.
 */
function normalized(kind: Project['outputKind'], output: string | null): string | null {
	if (output === null) return null;
	if (kind === 'text') return output.replace(/\r\n/g, '\n');
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
		// The form always sends the editor's text; only a changed one is a repair, so an output
		// that never fit the schema can still be judged as it is.
		const changed =
			proposed !== undefined &&
			normalized(target.outputKind, proposed) !== normalized(target.outputKind, current.output);
		if (changed) {
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
