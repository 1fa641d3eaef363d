import { and, eq, inArray, sql } from 'drizzle-orm';
import type { ImportedReview } from '../schemas/review';
import { isOnScale } from '../ratings';
import type { Db } from './db';
import {
	example,
	lease,
	projectMember,
	requirement,
	review,
	reviewRequirementRating,
	revision,
	user,
	type Project
} from './db/schema';
import { notStaged } from './import/staging';
import { settle } from './reviews';

export type ReviewImportResult =
	| { ok: true; imported: number; examples: number }
	| { ok: false; errors: { index: number; message: string }[] };

/** Rows per insert statement: well under either database's limit on bound values. */
const CHUNK = 500;

/**
 * Reviews made elsewhere (another tool, a vendor's spreadsheet), brought in as each named
 * person's, at the time they were made. The review screen's rules hold: the person can
 * review in the project, the rating and each requirement's rating are on its scale, the
 * revision is the example's current one and has an output, and nobody reviews a revision
 * twice (counting the file's own rows). Every bad review is reported with its place in the
 * list; one bad review writes nothing. The examples then settle as after any review.
 */
export async function importReviews(
	db: Db,
	target: Project,
	reviews: ImportedReview[],
	now: Date
): Promise<ReviewImportResult> {
	return await db.transaction(async (tx) => {
		// Read in the transaction: a person deactivated or taken off the project meanwhile is not
		// written as a reviewer.
		const names = [...new Set(reviews.map((r) => r.username.toLowerCase()))];
		const people = new Map(
			(
				await tx
					.select({ id: user.id, username: user.username, role: user.role, active: user.active })
					.from(user)
					.where(inArray(user.username, names))
			).map((p) => [p.username, p])
		);
		const members = new Set(
			(
				await tx
					.select({ userId: projectMember.userId })
					.from(projectMember)
					.where(eq(projectMember.projectId, target.id))
			).map((m) => m.userId)
		);
		const requirements = new Set(
			(
				await tx
					.select({ id: requirement.id })
					.from(requirement)
					.where(and(eq(requirement.projectId, target.id), eq(requirement.archived, false)))
			).map((r) => r.id)
		);

		const exampleIds = [...new Set(reviews.map((r) => r.exampleId))];
		const examples = new Map<
			number,
			{ currentRevisionId: number | null; status: string; outputMissing: number }
		>();
		for (let i = 0; i < exampleIds.length; i += CHUNK) {
			const found = await tx
				.select({
					id: example.id,
					currentRevisionId: example.currentRevisionId,
					status: example.status,
					// A number on both databases, where a boolean expression would not be.
					outputMissing: sql<number>`case when ${revision.output} is null then 1 else 0 end`
				})
				.from(example)
				.leftJoin(revision, eq(revision.id, example.currentRevisionId))
				.where(
					and(
						inArray(example.id, exampleIds.slice(i, i + CHUNK)),
						eq(example.projectId, target.id),
						notStaged()
					)
				);
			for (const e of found) examples.set(e.id, e);
		}
		const revisionIds = [
			...new Set([...examples.values()].map((e) => e.currentRevisionId).filter((id) => id !== null))
		];
		const reviewed = new Set<string>();
		for (let i = 0; i < revisionIds.length; i += CHUNK) {
			const earlier = await tx
				.select({ revisionId: review.revisionId, userId: review.userId })
				.from(review)
				.where(inArray(review.revisionId, revisionIds.slice(i, i + CHUNK)));
			for (const r of earlier) reviewed.add(`${r.revisionId}:${r.userId}`);
		}

		/** Where in the list each person's review of each revision first is. */
		const listed = new Map<string, number>();
		const errors: { index: number; message: string }[] = [];
		const rows: (ImportedReview & { userId: string; revisionId: number })[] = [];
		for (const [index, entry] of reviews.entries()) {
			const problem = (message: string) => errors.push({ index, message });
			const person = people.get(entry.username.toLowerCase());
			const found = examples.get(entry.exampleId);
			if (!person || !person.active) {
				problem(`No active person is called “${entry.username}”.`);
				continue;
			}
			if (person.role !== 'admin' && !members.has(person.id)) {
				problem(`${person.username} is not a member of this project.`);
				continue;
			}
			if (!found) {
				problem(`No example ${entry.exampleId} in this project.`);
				continue;
			}
			if (found.currentRevisionId === null || Number(found.outputMissing) === 1) {
				problem(`Example ${entry.exampleId} has no output to review yet.`);
				continue;
			}
			// A settled example (its reviews complete, or an admin's verdict) is not reopened.
			if (found.status !== 'queued' && found.status !== 'in_review') {
				problem(
					`Example ${entry.exampleId} is settled already (${found.status.replace('_', ' ')}).`
				);
				continue;
			}
			if (entry.revisionId !== undefined && entry.revisionId !== found.currentRevisionId) {
				problem(
					`Revision ${entry.revisionId} is not example ${entry.exampleId}’s current one (${found.currentRevisionId}).`
				);
				continue;
			}
			if (!isOnScale(target.ratingScale, entry.rating)) {
				problem('That rating is not on this project’s scale.');
			}
			for (const r of entry.requirementRatings) {
				if (!requirements.has(r.requirementId)) {
					problem(`Requirement ${r.requirementId} is not one of this project’s.`);
				} else if (!isOnScale(target.ratingScale, r.rating)) {
					problem('A requirement rating is not on this project’s scale.');
				}
			}
			if (new Date(entry.reviewedAt).getTime() > now.getTime()) {
				problem('The review’s time is in the future.');
			}
			const key = `${found.currentRevisionId}:${person.id}`;
			const earlier = listed.get(key);
			if (reviewed.has(key)) {
				problem(`${person.username} has reviewed example ${entry.exampleId} already.`);
			} else if (earlier !== undefined) {
				problem(
					`${person.username} reviews example ${entry.exampleId} twice (also at ${earlier}).`
				);
			}
			listed.set(key, Math.min(index, earlier ?? index));
			rows.push({ ...entry, userId: person.id, revisionId: found.currentRevisionId });
		}
		if (errors.length > 0) return { ok: false, errors };

		for (let i = 0; i < rows.length; i += CHUNK) {
			const chunk = rows.slice(i, i + CHUNK);
			const made = await tx
				.insert(review)
				.values(
					chunk.map((r) => ({
						exampleId: r.exampleId,
						revisionId: r.revisionId,
						userId: r.userId,
						rating: r.rating,
						decision: r.decision,
						comment: r.comment ?? null,
						durationMs: r.durationMs ?? null,
						createdAt: new Date(r.reviewedAt)
					}))
				)
				.returning({ id: review.id, revisionId: review.revisionId, userId: review.userId });
			// A person reviews a revision once, so the pair names the row whatever order
			// the database returned them in.
			const ids = new Map(made.map((m) => [`${m.revisionId}:${m.userId}`, m.id]));
			const ratings = chunk.flatMap((r) =>
				r.requirementRatings.map((rr) => ({
					reviewId: ids.get(`${r.revisionId}:${r.userId}`)!,
					requirementId: rr.requirementId,
					rating: rr.rating
				}))
			);
			for (let k = 0; k < ratings.length; k += CHUNK) {
				await tx.insert(reviewRequirementRating).values(ratings.slice(k, k + CHUNK));
			}
		}
		// A reviewer's own lease on what they reviewed is spent, and an example that needs no
		// more reviews keeps no lease: rule 1 holds for those still working the queue.
		for (const r of rows) {
			await tx
				.delete(lease)
				.where(and(eq(lease.exampleId, r.exampleId), eq(lease.userId, r.userId)));
		}
		const settled = new Map(rows.map((r) => [r.exampleId, r.revisionId]));
		for (const [exampleId, revisionId] of settled) {
			await settle(tx, target, exampleId, revisionId, now);
		}
		const closed = await tx
			.select({ id: example.id })
			.from(example)
			.where(and(inArray(example.id, [...settled.keys()]), eq(example.claimable, false)));
		if (closed.length > 0) {
			await tx.delete(lease).where(
				inArray(
					lease.exampleId,
					closed.map((e) => e.id)
				)
			);
		}
		return { ok: true, imported: rows.length, examples: settled.size };
	});
}
