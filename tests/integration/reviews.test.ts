import { asc, count, eq } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { type Db } from '$lib/server/db';
import {
	example,
	lease,
	project,
	requirement,
	review,
	reviewRequirementRating,
	revision
} from '$lib/server/db/schema';
import { claimNext, type ClaimedExample } from '$lib/server/queue';
import {
	requeueExamples,
	submitReview,
	undoReview,
	type ReviewSubmission
} from '$lib/server/reviews';
import type { ProjectInput } from '$lib/schemas/project';
import {
	importRows,
	makeProject,
	makeUser,
	minutesAfter,
	reviewSubmission,
	T0,
	requirementIdsOf
} from '../support/fixtures';
import { testDb } from '../support/database';

const ANSWER_SCHEMA = JSON.stringify({
	type: 'object',
	required: ['answer'],
	properties: { answer: { type: 'string' } },
	additionalProperties: false
});

async function setup(overrides: Partial<ProjectInput> = {}, rows: object[] = []) {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, overrides);
	await importRows(db, target, rows.length > 0 ? rows : [{ input: 'q1', output: 'a1' }]);
	const annotators = [
		await makeUser(db, 'annotator'),
		await makeUser(db, 'annotator'),
		await makeUser(db, 'annotator')
	];
	const exampleId = (
		await db
			.select({ id: example.id })
			.from(example)
			.where(eq(example.projectId, target.id))
			.orderBy(asc(example.id))
			.limit(1)
	)[0]!.id;
	const claim = async (userId: string, now = T0) => await claimNext(db, target.id, userId, now);
	const submit = async (
		userId: string,
		claimed: ClaimedExample,
		over: Partial<ReviewSubmission> = {},
		now = T0
	) => await submitReview(db, target.id, userId, reviewSubmission(claimed, over), now);
	return { db, admin, target, annotators, exampleId, claim, submit };
}

async function setProject(db: Db, projectId: number, values: Partial<typeof project.$inferInsert>) {
	await db.transaction(async (tx) =>
		tx.update(project).set(values).where(eq(project.id, projectId))
	);
}

async function exampleRow(db: Db, id: number) {
	return (await db.select().from(example).where(eq(example.id, id)).limit(1))[0]!;
}

async function revisionsOf(db: Db, exampleId: number) {
	return await db
		.select()
		.from(revision)
		.where(eq(revision.exampleId, exampleId))
		.orderBy(asc(revision.number));
}

async function rows(db: Db, table: SQLiteTable) {
	return (await db.select({ n: count() }).from(table).limit(1))[0]!.n;
}

/** What a refused submission must leave untouched. */
async function snapshot(db: Db, exampleId: number) {
	return {
		example: await exampleRow(db, exampleId),
		reviews: await rows(db, review),
		requirementRatings: await rows(db, reviewRequirementRating),
		revisions: await revisionsOf(db, exampleId),
		leases: await db.select().from(lease).orderBy(asc(lease.id))
	};
}

describe('submitting a review', () => {
	it('stores the review and its requirement ratings, frees the lease and settles at k', async () => {
		const { db, target, annotators, exampleId, claim } = await setup({
			reviewsRequired: 2,
			requirements: [
				{ name: 'Polite', description: '' },
				{ name: 'Correct', description: '' }
			]
		});
		const [polite, correct] = await requirementIdsOf(db, target.id);
		const [first, second] = annotators;

		const a = (await claim(first.id))!;
		const b = (await claim(second.id))!;
		const submitted = await submitReview(
			db,
			target.id,
			first.id,
			reviewSubmission(a, {
				rating: 4,
				requirementRatings: new Map([
					[polite, 5],
					[correct, 3]
				]),
				comment: 'fine',
				durationMs: 4200
			}),
			minutesAfter(1)
		);
		expect(submitted).toMatchObject({ ok: true, status: 'in_review', duplicate: false });
		const stored = await db.select().from(review);
		expect(stored).toEqual([
			expect.objectContaining({
				id: submitted.ok ? submitted.reviewId : -1,
				exampleId,
				revisionId: a.revisionId,
				userId: first.id,
				rating: 4,
				decision: 'accept',
				comment: 'fine',
				durationMs: 4200,
				createdAt: minutesAfter(1)
			})
		]);
		expect(
			await db
				.select({
					id: reviewRequirementRating.requirementId,
					rating: reviewRequirementRating.rating
				})
				.from(reviewRequirementRating)
				.orderBy(asc(reviewRequirementRating.requirementId))
		).toEqual([
			{ id: polite, rating: 5 },
			{ id: correct, rating: 3 }
		]);
		expect(await db.select({ userId: lease.userId }).from(lease)).toEqual([{ userId: second.id }]);
		expect(await exampleRow(db, exampleId)).toMatchObject({
			status: 'in_review',
			reviewCount: 1,
			claimable: true,
			finalRating: null
		});

		const last = await submitReview(
			db,
			target.id,
			second.id,
			reviewSubmission(b, { rating: 5 }),
			minutesAfter(2)
		);
		expect(last).toMatchObject({ ok: true, status: 'accepted' });
		expect(await exampleRow(db, exampleId)).toMatchObject({
			status: 'accepted',
			reviewCount: 2,
			claimable: false,
			finalRating: 4.5,
			finalDecision: 'accept'
		});
		expect(await rows(db, lease)).toBe(0);
	});

	it.each([
		['mean', [5, 4, 4], 'accepted', 13 / 3],
		['median', [5, 4, 5], 'accepted', 5],
		['majority', [4, 5, 5], 'accepted', 5],
		['majority', [2, 3, 3], 'rejected', 3],
		['mean', [4, 4, 3], 'disputed', 11 / 3]
	] as const)(
		'settles three %s reviews of %j as %s with final rating %d',
		async (aggregation, ratings, status, finalRating) => {
			const { db, target, annotators, exampleId, claim, submit } = await setup({
				reviewsRequired: 3,
				aggregation
			});
			const claims: ClaimedExample[] = [];
			for (const a of annotators) claims.push((await claim(a.id))!);
			const results: Awaited<ReturnType<typeof submit>>[] = [];
			for (const [i, a] of annotators.entries()) {
				results.push(
					await submit(a.id, claims[i], {
						rating: ratings[i],
						decision: ratings[i] >= target.threshold ? 'accept' : 'reject'
					})
				);
			}
			expect(results.map((r) => r.ok && r.status)).toEqual(['in_review', 'in_review', status]);
			const settled = await exampleRow(db, exampleId);
			expect(settled.status).toBe(status);
			expect(settled.finalRating).toBeCloseTo(finalRating, 10);
			expect(settled.finalDecision).toBe(
				status === 'disputed' ? null : status === 'accepted' ? 'accept' : 'reject'
			);
		}
	);

	it('rejects at k = 1 when the rating is below the threshold', async () => {
		const { db, annotators, exampleId, claim, submit } = await setup();
		const result = await submit(annotators[0].id, (await claim(annotators[0].id))!, { rating: 3 });
		expect(result).toMatchObject({ ok: true, status: 'rejected' });
		expect(await exampleRow(db, exampleId)).toMatchObject({
			status: 'rejected',
			finalRating: 3,
			finalDecision: 'reject',
			claimable: false
		});
	});

	it('records a retried submission once', async () => {
		const { db, target, annotators, exampleId, claim } = await setup();
		const [first] = annotators;
		const submission = reviewSubmission((await claim(first.id))!, {
			submissionKey: 'retry-me-please'
		});
		const once = await submitReview(db, target.id, first.id, submission, T0);
		const twice = await submitReview(db, target.id, first.id, submission, minutesAfter(1));
		expect(once).toMatchObject({ ok: true, duplicate: false, status: 'accepted' });
		expect(twice).toEqual({
			ok: true,
			duplicate: true,
			status: 'accepted',
			reviewId: once.ok ? once.reviewId : -1
		});
		expect(await rows(db, review)).toBe(1);
		expect((await exampleRow(db, exampleId)).reviewCount).toBe(1);
	});
});

describe('a refused submission changes nothing', () => {
	it('refuses ratings off the five-star scale', async () => {
		const { db, annotators, exampleId, claim, submit } = await setup();
		const claimed = (await claim(annotators[0].id))!;
		const before = await snapshot(db, exampleId);
		for (const rating of [6, 0, 4.5]) {
			expect(await submit(annotators[0].id, claimed, { rating })).toMatchObject({
				ok: false,
				status: 400,
				field: 'rating'
			});
		}
		expect(await snapshot(db, exampleId)).toEqual(before);
	});

	it('refuses a pass/fail rating of 2', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup({
			ratingScale: 'pass_fail'
		});
		expect(target.threshold).toBe(1);
		const claimed = (await claim(annotators[0].id))!;
		const before = await snapshot(db, exampleId);
		expect(await submit(annotators[0].id, claimed, { rating: 2 })).toMatchObject({
			ok: false,
			status: 400
		});
		expect(await snapshot(db, exampleId)).toEqual(before);
		expect(await submit(annotators[0].id, claimed, { rating: 1 })).toMatchObject({
			ok: true,
			status: 'accepted'
		});
	});

	it('refuses an unknown, foreign or off-scale requirement rating', async () => {
		const { db, admin, target, annotators, exampleId, claim, submit } = await setup({
			requirements: [{ name: 'Polite', description: '' }]
		});
		const other = await makeProject(db, admin.id, {
			name: 'Other',
			requirements: [{ name: 'Brief', description: '' }]
		});
		const ids = async (projectId: number) =>
			(
				await db
					.select({ id: requirement.id })
					.from(requirement)
					.where(eq(requirement.projectId, projectId))
			).map((r) => r.id);
		const [polite] = await ids(target.id);
		const [foreign] = await ids(other.id);
		const claimed = (await claim(annotators[0].id))!;
		const before = await snapshot(db, exampleId);
		for (const requirementRatings of [
			new Map([[polite + foreign + 100, 4]]),
			new Map([[foreign, 4]]),
			new Map([[polite, 7]])
		]) {
			expect(await submit(annotators[0].id, claimed, { requirementRatings })).toMatchObject({
				ok: false,
				status: 400,
				field: 'requirements'
			});
		}
		expect(await snapshot(db, exampleId)).toEqual(before);
	});

	it('refuses a review without a lease, or on another user’s lease', async () => {
		const { db, target, annotators, exampleId, claim } = await setup();
		const [holder, stranger] = annotators;
		const [revisionOne] = await revisionsOf(db, exampleId);
		const unclaimed = { exampleId, revisionId: revisionOne.id };
		const before = await snapshot(db, exampleId);
		const attempt = async (userId: string) =>
			await submitReview(db, target.id, userId, reviewSubmission(unclaimed), T0);
		expect(await attempt(stranger.id)).toMatchObject({ ok: false, status: 409 });
		expect(await snapshot(db, exampleId)).toEqual(before);

		await claim(holder.id);
		const leased = await snapshot(db, exampleId);
		expect(await attempt(stranger.id)).toMatchObject({ ok: false, status: 409 });
		expect(await snapshot(db, exampleId)).toEqual(leased);
	});

	it('never lets an annotator review the same revision twice', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup({
			reviewsRequired: 2
		});
		const [first] = annotators;
		const claimed = (await claim(first.id))!;
		expect((await submit(first.id, claimed)).ok).toBe(true);
		const before = await snapshot(db, exampleId);

		expect(await claim(first.id, minutesAfter(1))).toBeNull();
		expect(await submit(first.id, claimed)).toMatchObject({ ok: false, status: 409 });
		// Even with a lease forged past the queue, the database holds one review per revision and user.
		await db.transaction(async (tx) =>
			tx.insert(lease).values({
				exampleId,
				revisionId: claimed.revisionId,
				userId: first.id,
				leasedAt: T0,
				leaseExpiresAt: minutesAfter(10)
			})
		);
		expect(
			await submitReview(db, target.id, first.id, reviewSubmission(claimed), minutesAfter(1))
		).toMatchObject({
			ok: false,
			status: 409,
			message: expect.stringMatching(/reviewed this version already/)
		});
		expect(await rows(db, review)).toBe(1);
		expect(await exampleRow(db, exampleId)).toEqual(before.example);
	});

	it('refuses a review of a revision that was repaired meanwhile', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup({
			reviewsRequired: 2
		});
		const [slow, repairer] = annotators;
		const stale = (await claim(slow.id))!;
		const toRepair = (await claim(repairer.id))!;
		expect(
			await submit(repairer.id, toRepair, { decision: 'repair', output: 'a2', rating: 2 })
		).toMatchObject({ ok: true, status: 'queued' });
		const afterRepair = await snapshot(db, exampleId);
		expect(await submit(slow.id, stale)).toMatchObject({ ok: false, status: 409 });
		expect(await snapshot(db, exampleId)).toEqual(afterRepair);

		// Holding a lease on the new revision does not admit a review of the old one.
		const fresh = (await claim(slow.id, minutesAfter(1)))!;
		expect(fresh.revisionId).not.toBe(stale.revisionId);
		const leased = await snapshot(db, exampleId);
		expect(
			await submitReview(db, target.id, slow.id, reviewSubmission(stale), minutesAfter(2))
		).toMatchObject({ ok: false, status: 409 });
		expect(await snapshot(db, exampleId)).toEqual(leased);
	});
});

describe('repairs', () => {
	async function jsonSetup(overrides: Partial<ProjectInput> = {}) {
		return setup(
			{ inputKind: 'text', outputKind: 'json', outputSchema: ANSWER_SCHEMA, ...overrides },
			[{ input: 'q1', output: { answer: 'a1' } }]
		);
	}

	it('refuses invalid JSON, output that fails the schema, and an unchanged output', async () => {
		const { db, annotators, exampleId, claim, submit } = await jsonSetup();
		const claimed = (await claim(annotators[0].id))!;
		expect(claimed.output).toBe('{"answer":"a1"}');
		const before = await snapshot(db, exampleId);
		const repair = async (output: string | undefined) =>
			await submit(annotators[0].id, claimed, { decision: 'repair', rating: 2, output });

		const broken = await repair('{"answer": ');
		expect(broken).toMatchObject({ ok: false, status: 400, field: 'output' });
		expect(!broken.ok && broken.message).toMatch(/not valid JSON/);
		const misfit = await repair('{"answer": 42}');
		expect(misfit).toMatchObject({ ok: false, status: 400, field: 'output' });
		expect(!misfit.ok && misfit.message).toMatch(/schema.*answer/);
		const same = await repair('{ "answer" : "a1" }');
		expect(same).toMatchObject({ ok: false, status: 400, field: 'output' });
		expect(!same.ok && same.message).toMatch(/same as the output/);
		expect(await repair('   ')).toMatchObject({ ok: false, status: 400, field: 'output' });
		expect(await repair(undefined)).toMatchObject({ ok: false, status: 400, field: 'output' });

		expect(await snapshot(db, exampleId)).toEqual(before);
	});

	it('adds a revision, keeps the judged one and its review, and requeues the example', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await jsonSetup({
			reviewsRequired: 2
		});
		const [repairer, second, third] = annotators;
		const judged = (await claim(repairer.id))!;
		const other = (await claim(second.id))!;
		expect(other.revisionId).toBe(judged.revisionId);
		const [original] = await revisionsOf(db, exampleId);

		const repaired = await submit(repairer.id, judged, {
			decision: 'repair',
			rating: 1,
			output: '{ "answer": "a better one" }',
			comment: 'wrong answer'
		});
		expect(repaired).toMatchObject({ ok: true, status: 'queued', duplicate: false });
		const [one, two] = await revisionsOf(db, exampleId);
		expect(one).toEqual(original);
		expect(two).toMatchObject({
			id: repaired.ok ? repaired.newRevisionId : -1,
			number: 2,
			parentRevisionId: one.id,
			output: '{"answer":"a better one"}',
			authorKind: 'user',
			authorUserId: repairer.id,
			reason: 'wrong answer',
			schemaValid: true
		});
		expect(await db.select().from(review)).toEqual([
			expect.objectContaining({ revisionId: one.id, userId: repairer.id, decision: 'repair' })
		]);
		expect(await exampleRow(db, exampleId)).toMatchObject({
			currentRevisionId: two.id,
			status: 'queued',
			claimable: true,
			reviewCount: 0,
			finalRating: null
		});
		// The second annotator's lease was on revision 1: void.
		expect(await rows(db, lease)).toBe(0);
		expect(await submit(second.id, other)).toMatchObject({ ok: false, status: 409 });

		// Revision 2 is settled by its own two reviews; the repairer's 1 star on revision 1 is not among them.
		const b = (await claim(second.id, minutesAfter(1)))!;
		const c = (await claim(third.id, minutesAfter(1)))!;
		expect([b.revisionId, c.revisionId]).toEqual([two.id, two.id]);
		expect(await claim(repairer.id, minutesAfter(1))).toBeNull();
		expect(await submit(second.id, b, { rating: 5 }, minutesAfter(2))).toMatchObject({
			ok: true,
			status: 'in_review'
		});
		expect(await submit(third.id, c, { rating: 4 }, minutesAfter(2))).toMatchObject({
			ok: true,
			status: 'accepted'
		});
		expect(await exampleRow(db, exampleId)).toMatchObject({
			status: 'accepted',
			reviewCount: 2,
			finalRating: 4.5,
			finalDecision: 'accept'
		});
		expect(target.aggregation).toBe('mean');
	});

	it('counts the repair as a review of the new revision when the project says so', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await jsonSetup({
			reviewsRequired: 2
		});
		await setProject(db, target.id, { repairerReviewCounts: true });
		const [repairer, second, third] = annotators;
		const repaired = await submit(repairer.id, (await claim(repairer.id))!, {
			decision: 'repair',
			rating: 2,
			output: '{"answer":"fixed"}'
		});
		expect(repaired).toMatchObject({ ok: true, status: 'in_review' });
		const newRevisionId = (repaired.ok && repaired.newRevisionId) || -1;
		expect(await exampleRow(db, exampleId)).toMatchObject({
			currentRevisionId: newRevisionId,
			status: 'in_review',
			reviewCount: 1,
			claimable: true
		});
		expect(
			await db
				.select({ userId: review.userId, rating: review.rating, decision: review.decision })
				.from(review)
				.where(eq(review.revisionId, newRevisionId))
		).toEqual([{ userId: repairer.id, rating: 5, decision: 'accept' }]);

		// One counted review leaves room for one more annotator, not two.
		const b = (await claim(second.id, minutesAfter(1)))!;
		expect(await claim(third.id, minutesAfter(1))).toBeNull();
		expect(await submit(second.id, b, { rating: 4 }, minutesAfter(2))).toMatchObject({
			ok: true,
			status: 'accepted'
		});
		expect(await exampleRow(db, exampleId)).toMatchObject({ reviewCount: 2, finalRating: 4.5 });
	});

	it('settles a repair at once with k = 1 when it counts as a review', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await jsonSetup();
		await setProject(db, target.id, { repairerReviewCounts: true });
		const [repairer, other] = annotators;
		const repaired = await submit(repairer.id, (await claim(repairer.id))!, {
			decision: 'repair',
			rating: 2,
			output: '{"answer":"fixed"}'
		});
		expect(repaired).toMatchObject({ ok: true, status: 'accepted' });
		expect(await exampleRow(db, exampleId)).toMatchObject({
			status: 'accepted',
			reviewCount: 1,
			claimable: false,
			finalRating: 5,
			finalDecision: 'accept'
		});
		expect(await claim(other.id, minutesAfter(1))).toBeNull();
	});
});

describe('undo', () => {
	it('takes back a review within the lease time and leases the example back', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup();
		const [annotator, other] = annotators;
		const claimed = (await claim(annotator.id))!;
		const done = await submit(annotator.id, claimed);
		expect(done).toMatchObject({ ok: true, status: 'accepted' });
		const reviewId = done.ok ? done.reviewId : -1;

		expect(
			await undoReview(db, target.id, annotator.id, reviewId, minutesAfter(9, 59_999))
		).toEqual({
			ok: true,
			exampleId
		});
		expect(await rows(db, review)).toBe(0);
		expect(await exampleRow(db, exampleId)).toMatchObject({
			status: 'queued',
			reviewCount: 0,
			claimable: true,
			finalRating: null,
			finalDecision: null
		});
		expect(await db.select().from(lease)).toEqual([
			expect.objectContaining({
				exampleId,
				revisionId: claimed.revisionId,
				userId: annotator.id,
				leaseExpiresAt: minutesAfter(19, 59_999)
			})
		]);
		expect(await claim(other.id, minutesAfter(10))).toBeNull();
		expect(await claim(annotator.id, minutesAfter(10))).toMatchObject({
			exampleId,
			revisionId: claimed.revisionId
		});
		expect(await submit(annotator.id, claimed, { rating: 2 }, minutesAfter(11))).toMatchObject({
			ok: true,
			status: 'rejected'
		});
	});

	it('reverts an in-review example to queued', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup({
			reviewsRequired: 2
		});
		const done = await submit(annotators[0].id, (await claim(annotators[0].id))!);
		expect((await exampleRow(db, exampleId)).status).toBe('in_review');
		expect(
			await undoReview(
				db,
				target.id,
				annotators[0].id,
				done.ok ? done.reviewId : -1,
				minutesAfter(1)
			)
		).toMatchObject({ ok: true });
		expect(await exampleRow(db, exampleId)).toMatchObject({ status: 'queued', reviewCount: 0 });
	});

	it('refuses after the lease time, for a repair, and for someone else’s review', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup({
			reviewsRequired: 2
		});
		const [first, second] = annotators;
		const accepted = await submit(first.id, (await claim(first.id))!);
		const repaired = await submit(second.id, (await claim(second.id))!, {
			decision: 'repair',
			rating: 2,
			output: 'a2'
		});
		const acceptedId = accepted.ok ? accepted.reviewId : -1;
		const repairId = repaired.ok ? repaired.reviewId : -1;
		const before = await snapshot(db, exampleId);

		expect(await undoReview(db, target.id, second.id, repairId, minutesAfter(1))).toMatchObject({
			ok: false,
			status: 409
		});
		expect(await undoReview(db, target.id, second.id, acceptedId, minutesAfter(1))).toMatchObject({
			ok: false,
			status: 404
		});
		expect(await undoReview(db, target.id, first.id, acceptedId, minutesAfter(10))).toMatchObject({
			ok: false,
			status: 409
		});
		expect(await snapshot(db, exampleId)).toEqual(before);
	});

	it('refuses once the lease time has passed, even with nothing else changed', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup();
		const done = await submit(annotators[0].id, (await claim(annotators[0].id))!);
		const before = await snapshot(db, exampleId);
		expect(
			await undoReview(
				db,
				target.id,
				annotators[0].id,
				done.ok ? done.reviewId : -1,
				minutesAfter(10)
			)
		).toMatchObject({ ok: false, status: 409 });
		expect(await snapshot(db, exampleId)).toEqual(before);
	});
});

describe('requeueing', () => {
	it('gives an accepted example a new revision with the same output for fresh reviews', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup();
		const [first, second] = annotators;
		const judged = (await claim(first.id))!;
		expect(await submit(first.id, judged)).toMatchObject({ ok: true, status: 'accepted' });
		const [one] = await revisionsOf(db, exampleId);

		expect(await requeueExamples(db, target.id, [exampleId], minutesAfter(5))).toBe(1);
		const [kept, two] = await revisionsOf(db, exampleId);
		expect(kept).toEqual(one);
		expect(two).toMatchObject({
			number: 2,
			parentRevisionId: one.id,
			output: one.output,
			authorKind: one.authorKind
		});
		expect(await exampleRow(db, exampleId)).toMatchObject({
			currentRevisionId: two.id,
			status: 'queued',
			reviewCount: 0,
			claimable: true,
			finalRating: null,
			finalDecision: null
		});
		expect(await db.select({ revisionId: review.revisionId }).from(review)).toEqual([
			{ revisionId: one.id }
		]);

		// The annotator who reviewed revision 1 may review revision 2.
		const again = (await claim(first.id, minutesAfter(6)))!;
		expect(again).toMatchObject({ exampleId, revisionId: two.id });
		expect(await submit(first.id, again, { rating: 3 }, minutesAfter(7))).toMatchObject({
			ok: true,
			status: 'rejected'
		});
		expect(await claim(second.id, minutesAfter(6))).toBeNull();
		expect(await exampleRow(db, exampleId)).toMatchObject({ status: 'rejected', finalRating: 3 });
	});

	it('removes the leases on a requeued example, and ignores other projects’ examples', async () => {
		const { db, admin, target, annotators, exampleId, claim, submit } = await setup({
			reviewsRequired: 2
		});
		const elsewhere = await makeProject(db, admin.id, { name: 'Elsewhere' });
		const [first, second] = annotators;
		const reviewed = (await claim(first.id))!;
		expect(await submit(first.id, reviewed)).toMatchObject({ ok: true, status: 'in_review' });
		const held = (await claim(second.id))!;
		expect(await rows(db, lease)).toBe(1);

		expect(await requeueExamples(db, elsewhere.id, [exampleId], minutesAfter(1))).toBe(0);
		expect(await revisionsOf(db, exampleId)).toHaveLength(1);
		expect(await requeueExamples(db, target.id, [], minutesAfter(1))).toBe(0);

		expect(await requeueExamples(db, target.id, [exampleId], minutesAfter(1))).toBe(1);
		expect(await rows(db, lease)).toBe(0);
		expect(await submit(second.id, held, {}, minutesAfter(2))).toMatchObject({
			ok: false,
			status: 409
		});
		expect(await exampleRow(db, exampleId)).toMatchObject({ status: 'queued', reviewCount: 0 });
		expect((await claim(first.id, minutesAfter(2)))?.revisionId).not.toBe(reviewed.revisionId);
	});
});
