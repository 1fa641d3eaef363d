import type { LabelSet } from '../schemas/labels';
import { and, desc, eq, gt } from 'drizzle-orm';
import type { Db } from './db';
import { example, review, type Project } from './db/schema';
import { claimNext, queueProgress, type ClaimedExample } from './queue';
import { listRequirements } from './projects';

/** A fresh key for one submission; a retry of it is recognised and changes nothing. */
export function newSubmissionKey(): string {
	return crypto.randomUUID();
}

/** One example as the review screen shows it, with the key its submission will carry. */
export type ReviewItem = ClaimedExample & { submissionKey: string };

export async function claimForScreen(
	db: Db,
	projectId: number,
	userId: string,
	now: Date,
	skip: number[] = [],
	prefer?: number
): Promise<ReviewItem | null> {
	const next = await claimNext(db, projectId, userId, now, skip, prefer);
	return next && { ...next, submissionKey: newSubmissionKey() };
}

/** The annotator's latest review in the project while it can still be undone. */
export async function undoableReview(db: Db, target: Project, userId: string, now: Date) {
	const latest = (
		await db
			.select({
				id: review.id,
				exampleId: review.exampleId,
				createdAt: review.createdAt,
				decision: review.decision
			})
			.from(review)
			.innerJoin(example, eq(example.id, review.exampleId))
			.where(
				and(
					eq(review.userId, userId),
					eq(example.projectId, target.id),
					gt(review.createdAt, new Date(now.getTime() - target.leaseMinutes * 60_000))
				)
			)
			.orderBy(desc(review.createdAt), desc(review.id))
			.limit(1)
	)[0];
	if (!latest || latest.decision === 'repair') return null;
	return { reviewId: latest.id, exampleId: latest.exampleId };
}

/** What the review screen needs besides the example: the task, never the example's source. */
export async function reviewSetup(db: Db, target: Project, userId: string, now: Date) {
	const [requirements, progress, undoable] = await Promise.all([
		listRequirements(db, target.id),
		queueProgress(db, target.id, userId, now),
		undoableReview(db, target, userId, now)
	]);
	return {
		task: {
			instruction: target.instruction,
			requirements,
			ratingScale: target.ratingScale,
			threshold: target.threshold,
			inputKind: target.inputKind,
			outputKind: target.outputKind,
			outputSchema: target.outputSchema,
			labelSet: target.labelSet ? (JSON.parse(target.labelSet) as LabelSet) : null,
			leaseMinutes: target.leaseMinutes
		},
		progress,
		undoable
	};
}
