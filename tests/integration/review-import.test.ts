import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { review, reviewRequirementRating } from '$lib/server/db/schema';
import { addMember } from '$lib/server/projects';
import { claimNext, liveLeases } from '$lib/server/queue';
import { importReviews } from '$lib/server/reviewImport';
import { submitReview } from '$lib/server/reviews';
import type { ImportedReview } from '$lib/schemas/review';
import {
	examplesOf,
	importRows,
	makeProject,
	makeUser,
	minutesAfter,
	requirementIdsOf,
	reviewSubmission,
	T0
} from '../support/fixtures';
import { testDb } from '../support/database';

async function setup() {
	const db = await testDb();
	const admin = await makeUser(db, 'admin', 'root');
	const ada = await makeUser(db, 'annotator', 'ada');
	const bob = await makeUser(db, 'annotator', 'bob');
	const project = await makeProject(db, admin.id, {
		reviewsRequired: 2,
		requirements: [{ name: 'Correct', description: '' }]
	});
	await addMember(db, project.id, ada.id);
	await addMember(db, project.id, bob.id);
	await importRows(db, project, [
		{ input: 'one', output: 'One.' },
		{ input: 'two', output: 'Two.' },
		{ input: 'three' }
	]);
	const [first, second, third] = await examplesOf(db, project.id);
	const [correct] = await requirementIdsOf(db, project.id);
	return { db, admin, ada, bob, project, first, second, third, correct };
}

const entry = (overrides: Partial<ImportedReview> & Pick<ImportedReview, 'exampleId'>) =>
	({
		username: 'ada',
		rating: 5,
		decision: 'accept',
		requirementRatings: [],
		reviewedAt: '2025-02-20T10:00:00Z',
		...overrides
	}) as ImportedReview;

describe('importing reviews made elsewhere', () => {
	it('adds them as each person’s at their time, and the examples settle as after any review', async () => {
		const { db, project, first, second, correct } = await setup();

		const result = await importReviews(
			db,
			project,
			[
				entry({ exampleId: first.id, requirementRatings: [{ requirementId: correct, rating: 4 }] }),
				entry({ exampleId: first.id, username: 'BOB', rating: 4 }),
				entry({ exampleId: second.id, rating: 2, decision: 'reject', comment: 'Wrong.' })
			],
			minutesAfter(1)
		);

		expect(result).toEqual({ ok: true, imported: 3, examples: 2 });
		const [one, two] = await examplesOf(db, project.id);
		expect(one).toMatchObject({ status: 'accepted', reviewCount: 2, finalRating: 4.5 });
		expect(two).toMatchObject({ status: 'in_review', reviewCount: 1 });
		const rows = await db.select().from(review).where(eq(review.exampleId, first.id));
		expect(rows.map((r) => r.createdAt)).toEqual([
			new Date('2025-02-20T10:00:00Z'),
			new Date('2025-02-20T10:00:00Z')
		]);
		expect(rows.every((r) => r.revisionId === first.currentRevisionId)).toBe(true);
		expect(await db.select().from(reviewRequirementRating)).toEqual([
			expect.objectContaining({ requirementId: correct, rating: 4 })
		]);
	});

	it('names every bad review by its place and writes none of them', async () => {
		const { db, admin, ada, project, first, second, third, correct } = await setup();
		const outsider = await makeUser(db, 'annotator', 'cy');
		// Ada has reviewed the first example already, through the queue.
		const claimed = (await claimNext(db, project.id, ada.id, T0))!;
		expect(claimed.exampleId).toBe(first.id);
		const saved = await submitReview(db, project.id, ada.id, reviewSubmission(claimed), T0);
		expect(saved.ok).toBe(true);

		const result = await importReviews(
			db,
			project,
			[
				entry({ exampleId: second.id }),
				entry({ exampleId: first.id }),
				entry({ exampleId: second.id, username: outsider.username }),
				entry({ exampleId: second.id, username: 'nobody' }),
				entry({ exampleId: third.id, username: admin.username }),
				entry({ exampleId: 999_999 }),
				entry({ exampleId: second.id, username: 'bob', rating: 9 }),
				entry({
					exampleId: second.id,
					username: 'bob',
					requirementRatings: [{ requirementId: correct + 99, rating: 3 }]
				}),
				entry({ exampleId: second.id, username: 'ada' }),
				entry({
					exampleId: second.id,
					username: 'bob',
					revisionId: first.currentRevisionId!,
					reviewedAt: '2099-01-01T00:00:00Z'
				})
			],
			minutesAfter(1)
		);

		expect(result).toEqual({
			ok: false,
			errors: [
				{ index: 1, message: `ada has reviewed example ${first.id} already.` },
				{ index: 2, message: 'cy is not a member of this project.' },
				{ index: 3, message: 'No active person is called “nobody”.' },
				{ index: 4, message: `Example ${third.id} has no output to review yet.` },
				{ index: 5, message: 'No example 999999 in this project.' },
				{ index: 6, message: 'That rating is not on this project’s scale.' },
				{ index: 7, message: `Requirement ${correct + 99} is not one of this project’s.` },
				{ index: 7, message: `bob reviews example ${second.id} twice (also at 6).` },
				{ index: 8, message: `ada reviews example ${second.id} twice (also at 0).` },
				{
					index: 9,
					message: `Revision ${first.currentRevisionId} is not example ${second.id}’s current one (${second.currentRevisionId}).`
				}
			]
		});
		expect(await db.select().from(review)).toHaveLength(1);
		expect((await examplesOf(db, project.id))[1]).toMatchObject({
			reviewCount: 0,
			status: 'queued'
		});
	});

	it('reopens no settled example, and spends the leases an imported review makes needless', async () => {
		const { db, admin, ada, bob } = await setup();
		const single = await makeProject(db, admin.id, { name: 'One review each' });
		await addMember(db, single.id, ada.id);
		await addMember(db, single.id, bob.id);
		await importRows(db, single, [{ input: 'x', output: 'X.' }]);
		const [only] = await examplesOf(db, single.id);
		// Ada holds the example; Bob's review made elsewhere settles it.
		expect((await claimNext(db, single.id, ada.id, T0))!.exampleId).toBe(only.id);

		const done = await importReviews(
			db,
			single,
			[entry({ exampleId: only.id, username: 'bob' })],
			minutesAfter(1)
		);

		expect(done).toMatchObject({ ok: true, imported: 1 });
		expect((await examplesOf(db, single.id))[0].status).toBe('accepted');
		expect(await liveLeases(db, only.id, minutesAfter(1))).toEqual([]);
		expect(
			await importReviews(db, single, [entry({ exampleId: only.id })], minutesAfter(2))
		).toEqual({
			ok: false,
			errors: [{ index: 0, message: `Example ${only.id} is settled already (accepted).` }]
		});
	});

	it('refuses a review dated in the future', async () => {
		const { db, project, second } = await setup();
		const result = await importReviews(
			db,
			project,
			[entry({ exampleId: second.id, reviewedAt: '2025-03-02T00:00:00Z' })],
			T0
		);
		expect(result).toEqual({
			ok: false,
			errors: [{ index: 0, message: 'The review’s time is in the future.' }]
		});
	});
});
