import { asc, count, eq } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { createMigratedDb, type Db } from '$lib/server/db';
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

const ANSWER_SCHEMA = JSON.stringify({
	type: 'object',
	required: ['answer'],
	properties: { answer: { type: 'string' } },
	additionalProperties: false
});

async function setup(overrides: Partial<ProjectInput> = {}, rows: object[] = []) {
	const db = createMigratedDb();
	const admin = await makeUser(db, 'admin');
	const target = makeProject(db, admin.id, overrides);
	await importRows(db, target, rows.length > 0 ? rows : [{ input: 'q1', output: 'a1' }]);
	const annotators = [
		await makeUser(db, 'annotator'),
		await makeUser(db, 'annotator'),
		await makeUser(db, 'annotator')
	];
	const exampleId = db
		.select({ id: example.id })
		.from(example)
		.where(eq(example.projectId, target.id))
		.orderBy(asc(example.id))
		.get()!.id;
	const claim = (userId: string, now = T0) => claimNext(db, target.id, userId, now);
	const submit = (
		userId: string,
		claimed: ClaimedExample,
		over: Partial<ReviewSubmission> = {},
		now = T0
	) => submitReview(db, target.id, userId, reviewSubmission(claimed, over), now);
	return { db, admin, target, annotators, exampleId, claim, submit };
}

function setProject(db: Db, projectId: number, values: Partial<typeof project.$inferInsert>) {
	db.update(project).set(values).where(eq(project.id, projectId)).run();
}

function exampleRow(db: Db, id: number) {
	return db.select().from(example).where(eq(example.id, id)).get()!;
}

function revisionsOf(db: Db, exampleId: number) {
	return db
		.select()
		.from(revision)
		.where(eq(revision.exampleId, exampleId))
		.orderBy(asc(revision.number))
		.all();
}

function rows(db: Db, table: SQLiteTable) {
	return db.select({ n: count() }).from(table).get()!.n;
}

/** What a refused submission must leave untouched. */
function snapshot(db: Db, exampleId: number) {
	return {
		example: exampleRow(db, exampleId),
		reviews: rows(db, review),
		requirementRatings: rows(db, reviewRequirementRating),
		revisions: revisionsOf(db, exampleId),
		leases: db.select().from(lease).orderBy(asc(lease.id)).all()
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
		const [polite, correct] = requirementIdsOf(db, target.id);
		const [first, second] = annotators;

		const a = claim(first.id)!;
		const b = claim(second.id)!;
		const submitted = submitReview(
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
		const stored = db.select().from(review).all();
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
			db
				.select({
					id: reviewRequirementRating.requirementId,
					rating: reviewRequirementRating.rating
				})
				.from(reviewRequirementRating)
				.orderBy(asc(reviewRequirementRating.requirementId))
				.all()
		).toEqual([
			{ id: polite, rating: 5 },
			{ id: correct, rating: 3 }
		]);
		expect(db.select({ userId: lease.userId }).from(lease).all()).toEqual([{ userId: second.id }]);
		expect(exampleRow(db, exampleId)).toMatchObject({
			status: 'in_review',
			reviewCount: 1,
			claimable: true,
			finalRating: null
		});

		const last = submitReview(
			db,
			target.id,
			second.id,
			reviewSubmission(b, { rating: 5 }),
			minutesAfter(2)
		);
		expect(last).toMatchObject({ ok: true, status: 'accepted' });
		expect(exampleRow(db, exampleId)).toMatchObject({
			status: 'accepted',
			reviewCount: 2,
			claimable: false,
			finalRating: 4.5,
			finalDecision: 'accept'
		});
		expect(rows(db, lease)).toBe(0);
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
			const claims = annotators.map((a) => claim(a.id)!);
			const results = annotators.map((a, i) =>
				submit(a.id, claims[i], {
					rating: ratings[i],
					decision: ratings[i] >= target.threshold ? 'accept' : 'reject'
				})
			);
			expect(results.map((r) => r.ok && r.status)).toEqual(['in_review', 'in_review', status]);
			const settled = exampleRow(db, exampleId);
			expect(settled.status).toBe(status);
			expect(settled.finalRating).toBeCloseTo(finalRating, 10);
			expect(settled.finalDecision).toBe(
				status === 'disputed' ? null : status === 'accepted' ? 'accept' : 'reject'
			);
		}
	);

	it('rejects at k = 1 when the rating is below the threshold', async () => {
		const { db, annotators, exampleId, claim, submit } = await setup();
		const result = submit(annotators[0].id, claim(annotators[0].id)!, { rating: 3 });
		expect(result).toMatchObject({ ok: true, status: 'rejected' });
		expect(exampleRow(db, exampleId)).toMatchObject({
			status: 'rejected',
			finalRating: 3,
			finalDecision: 'reject',
			claimable: false
		});
	});

	it('records a retried submission once', async () => {
		const { db, target, annotators, exampleId, claim } = await setup();
		const [first] = annotators;
		const submission = reviewSubmission(claim(first.id)!, { submissionKey: 'retry-me-please' });
		const once = submitReview(db, target.id, first.id, submission, T0);
		const twice = submitReview(db, target.id, first.id, submission, minutesAfter(1));
		expect(once).toMatchObject({ ok: true, duplicate: false, status: 'accepted' });
		expect(twice).toEqual({
			ok: true,
			duplicate: true,
			status: 'accepted',
			reviewId: once.ok ? once.reviewId : -1
		});
		expect(rows(db, review)).toBe(1);
		expect(exampleRow(db, exampleId).reviewCount).toBe(1);
	});
});

describe('a refused submission changes nothing', () => {
	it('refuses ratings off the five-star scale', async () => {
		const { db, annotators, exampleId, claim, submit } = await setup();
		const claimed = claim(annotators[0].id)!;
		const before = snapshot(db, exampleId);
		for (const rating of [6, 0, 4.5]) {
			expect(submit(annotators[0].id, claimed, { rating })).toMatchObject({
				ok: false,
				status: 400,
				field: 'rating'
			});
		}
		expect(snapshot(db, exampleId)).toEqual(before);
	});

	it('refuses a pass/fail rating of 2', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup({
			ratingScale: 'pass_fail'
		});
		expect(target.threshold).toBe(1);
		const claimed = claim(annotators[0].id)!;
		const before = snapshot(db, exampleId);
		expect(submit(annotators[0].id, claimed, { rating: 2 })).toMatchObject({
			ok: false,
			status: 400
		});
		expect(snapshot(db, exampleId)).toEqual(before);
		expect(submit(annotators[0].id, claimed, { rating: 1 })).toMatchObject({
			ok: true,
			status: 'accepted'
		});
	});

	it('refuses an unknown, foreign or off-scale requirement rating', async () => {
		const { db, admin, target, annotators, exampleId, claim, submit } = await setup({
			requirements: [{ name: 'Polite', description: '' }]
		});
		const other = makeProject(db, admin.id, {
			name: 'Other',
			requirements: [{ name: 'Brief', description: '' }]
		});
		const ids = (projectId: number) =>
			db
				.select({ id: requirement.id })
				.from(requirement)
				.where(eq(requirement.projectId, projectId))
				.all()
				.map((r) => r.id);
		const [polite] = ids(target.id);
		const [foreign] = ids(other.id);
		const claimed = claim(annotators[0].id)!;
		const before = snapshot(db, exampleId);
		for (const requirementRatings of [
			new Map([[polite + foreign + 100, 4]]),
			new Map([[foreign, 4]]),
			new Map([[polite, 7]])
		]) {
			expect(submit(annotators[0].id, claimed, { requirementRatings })).toMatchObject({
				ok: false,
				status: 400,
				field: 'requirements'
			});
		}
		expect(snapshot(db, exampleId)).toEqual(before);
	});

	it('refuses a review without a lease, or on another user’s lease', async () => {
		const { db, target, annotators, exampleId, claim } = await setup();
		const [holder, stranger] = annotators;
		const [revisionOne] = revisionsOf(db, exampleId);
		const unclaimed = { exampleId, revisionId: revisionOne.id };
		const before = snapshot(db, exampleId);
		const attempt = (userId: string) =>
			submitReview(db, target.id, userId, reviewSubmission(unclaimed), T0);
		expect(attempt(stranger.id)).toMatchObject({ ok: false, status: 409 });
		expect(snapshot(db, exampleId)).toEqual(before);

		claim(holder.id);
		const leased = snapshot(db, exampleId);
		expect(attempt(stranger.id)).toMatchObject({ ok: false, status: 409 });
		expect(snapshot(db, exampleId)).toEqual(leased);
	});

	it('never lets an annotator review the same revision twice', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup({
			reviewsRequired: 2
		});
		const [first] = annotators;
		const claimed = claim(first.id)!;
		expect(submit(first.id, claimed).ok).toBe(true);
		const before = snapshot(db, exampleId);

		expect(claim(first.id, minutesAfter(1))).toBeNull();
		expect(submit(first.id, claimed)).toMatchObject({ ok: false, status: 409 });
		// Even with a lease forged past the queue, the database holds one review per revision and user.
		db.insert(lease)
			.values({
				exampleId,
				revisionId: claimed.revisionId,
				userId: first.id,
				leasedAt: T0,
				leaseExpiresAt: minutesAfter(10)
			})
			.run();
		expect(
			submitReview(db, target.id, first.id, reviewSubmission(claimed), minutesAfter(1))
		).toMatchObject({
			ok: false,
			status: 409,
			message: expect.stringMatching(/reviewed this version already/)
		});
		expect(rows(db, review)).toBe(1);
		expect(exampleRow(db, exampleId)).toEqual(before.example);
	});

	it('refuses a review of a revision that was repaired meanwhile', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup({
			reviewsRequired: 2
		});
		const [slow, repairer] = annotators;
		const stale = claim(slow.id)!;
		const toRepair = claim(repairer.id)!;
		expect(
			submit(repairer.id, toRepair, { decision: 'repair', output: 'a2', rating: 2 })
		).toMatchObject({ ok: true, status: 'queued' });
		const afterRepair = snapshot(db, exampleId);
		expect(submit(slow.id, stale)).toMatchObject({ ok: false, status: 409 });
		expect(snapshot(db, exampleId)).toEqual(afterRepair);

		// Holding a lease on the new revision does not admit a review of the old one.
		const fresh = claim(slow.id, minutesAfter(1))!;
		expect(fresh.revisionId).not.toBe(stale.revisionId);
		const leased = snapshot(db, exampleId);
		expect(
			submitReview(db, target.id, slow.id, reviewSubmission(stale), minutesAfter(2))
		).toMatchObject({ ok: false, status: 409 });
		expect(snapshot(db, exampleId)).toEqual(leased);
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
		const claimed = claim(annotators[0].id)!;
		expect(claimed.output).toBe('{"answer":"a1"}');
		const before = snapshot(db, exampleId);
		const repair = (output: string | undefined) =>
			submit(annotators[0].id, claimed, { decision: 'repair', rating: 2, output });

		const broken = repair('{"answer": ');
		expect(broken).toMatchObject({ ok: false, status: 400, field: 'output' });
		expect(!broken.ok && broken.message).toMatch(/not valid JSON/);
		const misfit = repair('{"answer": 42}');
		expect(misfit).toMatchObject({ ok: false, status: 400, field: 'output' });
		expect(!misfit.ok && misfit.message).toMatch(/schema.*answer/);
		const same = repair('{ "answer" : "a1" }');
		expect(same).toMatchObject({ ok: false, status: 400, field: 'output' });
		expect(!same.ok && same.message).toMatch(/same as the output/);
		expect(repair('   ')).toMatchObject({ ok: false, status: 400, field: 'output' });
		expect(repair(undefined)).toMatchObject({ ok: false, status: 400, field: 'output' });

		expect(snapshot(db, exampleId)).toEqual(before);
	});

	it('adds a revision, keeps the judged one and its review, and requeues the example', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await jsonSetup({
			reviewsRequired: 2
		});
		const [repairer, second, third] = annotators;
		const judged = claim(repairer.id)!;
		const other = claim(second.id)!;
		expect(other.revisionId).toBe(judged.revisionId);
		const [original] = revisionsOf(db, exampleId);

		const repaired = submit(repairer.id, judged, {
			decision: 'repair',
			rating: 1,
			output: '{ "answer": "a better one" }',
			comment: 'wrong answer'
		});
		expect(repaired).toMatchObject({ ok: true, status: 'queued', duplicate: false });
		const [one, two] = revisionsOf(db, exampleId);
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
		expect(db.select().from(review).all()).toEqual([
			expect.objectContaining({ revisionId: one.id, userId: repairer.id, decision: 'repair' })
		]);
		expect(exampleRow(db, exampleId)).toMatchObject({
			currentRevisionId: two.id,
			status: 'queued',
			claimable: true,
			reviewCount: 0,
			finalRating: null
		});
		// The second annotator's lease was on revision 1: void.
		expect(rows(db, lease)).toBe(0);
		expect(submit(second.id, other)).toMatchObject({ ok: false, status: 409 });

		// Revision 2 is settled by its own two reviews; the repairer's 1 star on revision 1 is not among them.
		const b = claim(second.id, minutesAfter(1))!;
		const c = claim(third.id, minutesAfter(1))!;
		expect([b.revisionId, c.revisionId]).toEqual([two.id, two.id]);
		expect(claim(repairer.id, minutesAfter(1))).toBeNull();
		expect(submit(second.id, b, { rating: 5 }, minutesAfter(2))).toMatchObject({
			ok: true,
			status: 'in_review'
		});
		expect(submit(third.id, c, { rating: 4 }, minutesAfter(2))).toMatchObject({
			ok: true,
			status: 'accepted'
		});
		expect(exampleRow(db, exampleId)).toMatchObject({
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
		setProject(db, target.id, { repairerReviewCounts: true });
		const [repairer, second, third] = annotators;
		const repaired = submit(repairer.id, claim(repairer.id)!, {
			decision: 'repair',
			rating: 2,
			output: '{"answer":"fixed"}'
		});
		expect(repaired).toMatchObject({ ok: true, status: 'in_review' });
		const newRevisionId = (repaired.ok && repaired.newRevisionId) || -1;
		expect(exampleRow(db, exampleId)).toMatchObject({
			currentRevisionId: newRevisionId,
			status: 'in_review',
			reviewCount: 1,
			claimable: true
		});
		expect(
			db
				.select({ userId: review.userId, rating: review.rating, decision: review.decision })
				.from(review)
				.where(eq(review.revisionId, newRevisionId))
				.all()
		).toEqual([{ userId: repairer.id, rating: 5, decision: 'accept' }]);

		// One counted review leaves room for one more annotator, not two.
		const b = claim(second.id, minutesAfter(1))!;
		expect(claim(third.id, minutesAfter(1))).toBeNull();
		expect(submit(second.id, b, { rating: 4 }, minutesAfter(2))).toMatchObject({
			ok: true,
			status: 'accepted'
		});
		expect(exampleRow(db, exampleId)).toMatchObject({ reviewCount: 2, finalRating: 4.5 });
	});

	it('settles a repair at once with k = 1 when it counts as a review', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await jsonSetup();
		setProject(db, target.id, { repairerReviewCounts: true });
		const [repairer, other] = annotators;
		const repaired = submit(repairer.id, claim(repairer.id)!, {
			decision: 'repair',
			rating: 2,
			output: '{"answer":"fixed"}'
		});
		expect(repaired).toMatchObject({ ok: true, status: 'accepted' });
		expect(exampleRow(db, exampleId)).toMatchObject({
			status: 'accepted',
			reviewCount: 1,
			claimable: false,
			finalRating: 5,
			finalDecision: 'accept'
		});
		expect(claim(other.id, minutesAfter(1))).toBeNull();
	});
});

describe('undo', () => {
	it('takes back a review within the lease time and leases the example back', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup();
		const [annotator, other] = annotators;
		const claimed = claim(annotator.id)!;
		const done = submit(annotator.id, claimed);
		expect(done).toMatchObject({ ok: true, status: 'accepted' });
		const reviewId = done.ok ? done.reviewId : -1;

		expect(undoReview(db, target.id, annotator.id, reviewId, minutesAfter(9, 59_999))).toEqual({
			ok: true,
			exampleId
		});
		expect(rows(db, review)).toBe(0);
		expect(exampleRow(db, exampleId)).toMatchObject({
			status: 'queued',
			reviewCount: 0,
			claimable: true,
			finalRating: null,
			finalDecision: null
		});
		expect(db.select().from(lease).all()).toEqual([
			expect.objectContaining({
				exampleId,
				revisionId: claimed.revisionId,
				userId: annotator.id,
				leaseExpiresAt: minutesAfter(19, 59_999)
			})
		]);
		expect(claim(other.id, minutesAfter(10))).toBeNull();
		expect(claim(annotator.id, minutesAfter(10))).toMatchObject({
			exampleId,
			revisionId: claimed.revisionId
		});
		expect(submit(annotator.id, claimed, { rating: 2 }, minutesAfter(11))).toMatchObject({
			ok: true,
			status: 'rejected'
		});
	});

	it('reverts an in-review example to queued', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup({
			reviewsRequired: 2
		});
		const done = submit(annotators[0].id, claim(annotators[0].id)!);
		expect(exampleRow(db, exampleId).status).toBe('in_review');
		expect(
			undoReview(db, target.id, annotators[0].id, done.ok ? done.reviewId : -1, minutesAfter(1))
		).toMatchObject({ ok: true });
		expect(exampleRow(db, exampleId)).toMatchObject({ status: 'queued', reviewCount: 0 });
	});

	it('refuses after the lease time, for a repair, and for someone else’s review', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup({
			reviewsRequired: 2
		});
		const [first, second] = annotators;
		const accepted = submit(first.id, claim(first.id)!);
		const repaired = submit(second.id, claim(second.id)!, {
			decision: 'repair',
			rating: 2,
			output: 'a2'
		});
		const acceptedId = accepted.ok ? accepted.reviewId : -1;
		const repairId = repaired.ok ? repaired.reviewId : -1;
		const before = snapshot(db, exampleId);

		expect(undoReview(db, target.id, second.id, repairId, minutesAfter(1))).toMatchObject({
			ok: false,
			status: 409
		});
		expect(undoReview(db, target.id, second.id, acceptedId, minutesAfter(1))).toMatchObject({
			ok: false,
			status: 404
		});
		expect(undoReview(db, target.id, first.id, acceptedId, minutesAfter(10))).toMatchObject({
			ok: false,
			status: 409
		});
		expect(snapshot(db, exampleId)).toEqual(before);
	});

	it('refuses once the lease time has passed, even with nothing else changed', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup();
		const done = submit(annotators[0].id, claim(annotators[0].id)!);
		const before = snapshot(db, exampleId);
		expect(
			undoReview(db, target.id, annotators[0].id, done.ok ? done.reviewId : -1, minutesAfter(10))
		).toMatchObject({ ok: false, status: 409 });
		expect(snapshot(db, exampleId)).toEqual(before);
	});
});

describe('requeueing', () => {
	it('gives an accepted example a new revision with the same output for fresh reviews', async () => {
		const { db, target, annotators, exampleId, claim, submit } = await setup();
		const [first, second] = annotators;
		const judged = claim(first.id)!;
		expect(submit(first.id, judged)).toMatchObject({ ok: true, status: 'accepted' });
		const [one] = revisionsOf(db, exampleId);

		expect(requeueExamples(db, target.id, [exampleId], minutesAfter(5))).toBe(1);
		const [kept, two] = revisionsOf(db, exampleId);
		expect(kept).toEqual(one);
		expect(two).toMatchObject({
			number: 2,
			parentRevisionId: one.id,
			output: one.output,
			authorKind: one.authorKind
		});
		expect(exampleRow(db, exampleId)).toMatchObject({
			currentRevisionId: two.id,
			status: 'queued',
			reviewCount: 0,
			claimable: true,
			finalRating: null,
			finalDecision: null
		});
		expect(db.select({ revisionId: review.revisionId }).from(review).all()).toEqual([
			{ revisionId: one.id }
		]);

		// The annotator who reviewed revision 1 may review revision 2.
		const again = claim(first.id, minutesAfter(6))!;
		expect(again).toMatchObject({ exampleId, revisionId: two.id });
		expect(submit(first.id, again, { rating: 3 }, minutesAfter(7))).toMatchObject({
			ok: true,
			status: 'rejected'
		});
		expect(claim(second.id, minutesAfter(6))).toBeNull();
		expect(exampleRow(db, exampleId)).toMatchObject({ status: 'rejected', finalRating: 3 });
	});

	it('removes the leases on a requeued example, and ignores other projects’ examples', async () => {
		const { db, admin, target, annotators, exampleId, claim, submit } = await setup({
			reviewsRequired: 2
		});
		const elsewhere = makeProject(db, admin.id, { name: 'Elsewhere' });
		const [first, second] = annotators;
		const reviewed = claim(first.id)!;
		expect(submit(first.id, reviewed)).toMatchObject({ ok: true, status: 'in_review' });
		const held = claim(second.id)!;
		expect(rows(db, lease)).toBe(1);

		expect(requeueExamples(db, elsewhere.id, [exampleId], minutesAfter(1))).toBe(0);
		expect(revisionsOf(db, exampleId)).toHaveLength(1);
		expect(requeueExamples(db, target.id, [], minutesAfter(1))).toBe(0);

		expect(requeueExamples(db, target.id, [exampleId], minutesAfter(1))).toBe(1);
		expect(rows(db, lease)).toBe(0);
		expect(submit(second.id, held, {}, minutesAfter(2))).toMatchObject({ ok: false, status: 409 });
		expect(exampleRow(db, exampleId)).toMatchObject({ status: 'queued', reviewCount: 0 });
		expect(claim(first.id, minutesAfter(2))?.revisionId).not.toBe(reviewed.revisionId);
	});
});
