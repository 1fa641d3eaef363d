import { count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type Db } from '$lib/server/db';
import { example, lease, project, review, revision } from '$lib/server/db/schema';
import { projectAgreement } from '$lib/server/agreement';
import { getExampleDetail } from '$lib/server/examples';
import { markGold, unmarkGold } from '$lib/server/gold';
import { addMember } from '$lib/server/projects';
import { claimNext, queueProgress } from '$lib/server/queue';
import { requeueExamples, submitReview } from '$lib/server/reviews';
import {
	exampleIds,
	importRows,
	makeProject,
	makeUser,
	minutesAfter,
	reviewSubmission,
	T0
} from '../support/fixtures';
import { testDb } from '../support/database';

/** A project with k = 1, five ordinary examples, and its third example made gold (4 stars). */
async function withGold(goldRate = 0.5) {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const ann = await makeUser(db, 'annotator');
	const bob = await makeUser(db, 'annotator');
	const target = await makeProject(db, admin.id, { reviewsRequired: 1 });
	await addMember(db, target.id, ann.id);
	await addMember(db, target.id, bob.id);
	await db.transaction(async (tx) =>
		tx.update(project).set({ goldRate }).where(eq(project.id, target.id))
	);
	await importRows(
		db,
		target,
		['one', 'two', 'three', 'four', 'five'].map((n) => ({ input: `question ${n}`, output: n }))
	);
	const ids = await exampleIds(db, target.id);
	const goldId = ids[2];
	expect(await markGold(db, target.id, goldId, 4, T0)).toEqual({ ok: true });
	return { db, admin, ann, bob, target, ids, goldId };
}

const row = async (db: Db, id: number) =>
	(await db.select().from(example).where(eq(example.id, id)).limit(1))[0]!;
const ROLL_GOLD = 0;
const ROLL_ORDINARY = 0.99;

describe('marking gold', () => {
	it('settles the example by its true rating and takes it out of the ordinary queue', async () => {
		const { db, ann, target, goldId } = await withGold();
		expect(await row(db, goldId)).toMatchObject({
			isGold: true,
			goldRating: 4,
			claimable: false,
			status: 'accepted',
			finalRating: 4,
			finalDecision: 'accept'
		});
		expect((await queueProgress(db, target.id, ann.id, T0)).leftForYou).toBe(4);
	});

	it('a true rating under the threshold makes a rejected gold example', async () => {
		const { db, target, ids } = await withGold();
		expect(await markGold(db, target.id, ids[0], 2, T0)).toEqual({ ok: true });
		expect(await row(db, ids[0])).toMatchObject({ status: 'rejected', finalDecision: 'reject' });
	});

	it('refuses a rating off the scale, an example of another project, and writes nothing', async () => {
		const { db, admin, target, ids } = await withGold();
		const before = await row(db, ids[0]);
		expect(await markGold(db, target.id, ids[0], 7, T0)).toMatchObject({ ok: false, status: 400 });
		const other = await makeProject(db, admin.id, { name: 'Other' });
		expect(await markGold(db, other.id, ids[0], 4, T0)).toMatchObject({ ok: false, status: 404 });
		expect(await row(db, ids[0])).toEqual(before);
	});

	it('refuses an example with no output yet', async () => {
		const { db, target } = await withGold();
		await importRows(db, target, [{ input: 'no output yet' }]);
		const bare = (await exampleIds(db, target.id)).at(-1)!;
		expect(await markGold(db, target.id, bare, 4, T0)).toMatchObject({ ok: false, status: 409 });
		expect((await row(db, bare)).isGold).toBe(false);
	});
});

describe('gold in the queue', () => {
	it('is served when the roll falls under the gold rate, and looks like any other claim', async () => {
		const { db, ann, bob, target, ids, goldId } = await withGold(0.2);
		const ordinary = await claimNext(db, target.id, bob.id, T0, [], undefined, 0.2);
		expect(ordinary?.exampleId).toBe(ids[0]);
		const gold = (await claimNext(db, target.id, ann.id, T0, [], undefined, 0.19))!;
		expect(gold.exampleId).toBe(goldId);
		expect(Object.keys(gold).sort()).toEqual(Object.keys(ordinary!).sort());
		// A reload gives the held gold example back rather than a new one.
		expect(
			(await claimNext(db, target.id, ann.id, T0, [], undefined, ROLL_ORDINARY))?.exampleId
		).toBe(goldId);
	});

	it('is served to every annotator once, at the same time, whatever the overlap', async () => {
		const { db, ann, bob, target, goldId } = await withGold();
		const a = (await claimNext(db, target.id, ann.id, T0, [], undefined, ROLL_GOLD))!;
		const b = (await claimNext(db, target.id, bob.id, T0, [], undefined, ROLL_GOLD))!;
		expect([a.exampleId, b.exampleId]).toEqual([goldId, goldId]);
		expect(
			await submitReview(db, target.id, ann.id, reviewSubmission(a, { rating: 4 }), T0)
		).toMatchObject({ ok: true, status: 'accepted' });
		expect(
			await submitReview(db, target.id, bob.id, reviewSubmission(b, { rating: 1 }), T0)
		).toMatchObject({ ok: true, status: 'accepted' });
		// Judged once each: the next gold roll serves ordinary work.
		const next = (await claimNext(
			db,
			target.id,
			ann.id,
			minutesAfter(1),
			[],
			undefined,
			ROLL_GOLD
		))!;
		expect(next.exampleId).not.toBe(goldId);
		// The reviews never change the example: its true rating decides it.
		expect(await row(db, goldId)).toMatchObject({
			status: 'accepted',
			finalRating: 4,
			reviewCount: 2,
			claimable: false
		});
	});

	it('is never served once ordinary work has run out', async () => {
		const { db, ann, target, goldId } = await withGold(0);
		for (let at = 0; ; at++) {
			const claimed = await claimNext(db, target.id, ann.id, minutesAfter(at), [], undefined, 0.5);
			if (!claimed) break;
			expect(claimed.exampleId).not.toBe(goldId);
			await submitReview(db, target.id, ann.id, reviewSubmission(claimed), minutesAfter(at));
		}
		await db.transaction(async (tx) =>
			tx.update(project).set({ goldRate: 1 }).where(eq(project.id, target.id))
		);
		expect(
			await claimNext(db, target.id, ann.id, minutesAfter(10), [], undefined, ROLL_GOLD)
		).toBeNull();
	});

	it('a repair of a gold example is recorded as a review but leaves the gold output alone', async () => {
		const { db, ann, target, goldId } = await withGold();
		const claimed = (await claimNext(db, target.id, ann.id, T0, [], undefined, ROLL_GOLD))!;
		expect(claimed.exampleId).toBe(goldId);
		const result = await submitReview(
			db,
			target.id,
			ann.id,
			reviewSubmission(claimed, { decision: 'repair', rating: 2, output: 'better' }),
			T0
		);
		expect(result).toMatchObject({ ok: true, status: 'accepted' });
		expect(result.ok && result.newRevisionId).toBeFalsy();
		expect(
			(
				await db
					.select({ n: count() })
					.from(revision)
					.where(eq(revision.exampleId, goldId))
					.limit(1)
			)[0]!.n
		).toBe(1);
		expect((await row(db, goldId)).currentRevisionId).toBe(claimed.revisionId);
	});
});

describe('accuracy on gold', () => {
	it('compares each annotator with the true rating on the agreement page', async () => {
		const { db, ann, bob, target, ids, goldId } = await withGold();
		expect(await markGold(db, target.id, ids[4], 2, T0)).toEqual({ ok: true });
		const judge = async (userId: string, rating: number, at: number) => {
			const claimed = (await claimNext(
				db,
				target.id,
				userId,
				minutesAfter(at),
				[],
				undefined,
				ROLL_GOLD
			))!;
			expect([goldId, ids[4]]).toContain(claimed.exampleId);
			const truth = claimed.exampleId === goldId ? 4 : 2;
			const given = rating === 0 ? truth : truth + rating;
			expect(
				(
					await submitReview(
						db,
						target.id,
						userId,
						reviewSubmission(claimed, { rating: given }),
						minutesAfter(at)
					)
				).ok
			).toBe(true);
		};
		await judge(ann.id, 0, 1);
		await judge(ann.id, 0, 2);
		await judge(bob.id, 0, 1);
		await judge(bob.id, 1, 2);

		const figures = (await projectAgreement(db, target.id))!;
		const of = (userId: string) => figures.quality.find((q) => q.userId === userId)!.gold;
		expect(of(ann.id)).toEqual({ judged: 2, exact: 1, withinOne: 1, meanDifference: 0 });
		expect(of(bob.id)).toEqual({ judged: 2, exact: 0.5, withinOne: 1, meanDifference: 0.5 });
		expect(figures.outcomes.gold).toBe(2);
	});
});

describe('unmarking and re-queueing', () => {
	it('unmarking lets the reviews decide and frees the leases', async () => {
		const { db, ann, bob, target, goldId } = await withGold();
		const a = (await claimNext(db, target.id, ann.id, T0, [], undefined, ROLL_GOLD))!;
		await submitReview(
			db,
			target.id,
			ann.id,
			reviewSubmission(a, { rating: 2, decision: 'reject' }),
			T0
		);
		await claimNext(db, target.id, bob.id, T0, [], undefined, ROLL_GOLD);
		expect(await unmarkGold(db, target.id, goldId, minutesAfter(1))).toEqual({ ok: true });
		expect(await row(db, goldId)).toMatchObject({
			isGold: false,
			goldRating: null,
			status: 'rejected',
			finalRating: 2
		});
		expect(await db.select().from(lease).where(eq(lease.exampleId, goldId))).toEqual([]);
		expect(await unmarkGold(db, target.id, goldId, minutesAfter(1))).toMatchObject({
			ok: false,
			status: 409
		});
	});

	it('an unreviewed gold example goes back to the ordinary queue when unmarked', async () => {
		const { db, ann, target, goldId } = await withGold();
		await unmarkGold(db, target.id, goldId, T0);
		expect(await row(db, goldId)).toMatchObject({
			status: 'queued',
			claimable: true,
			finalRating: null
		});
		expect((await queueProgress(db, target.id, ann.id, T0)).leftForYou).toBe(5);
	});

	it('re-queue by filter passes over gold examples', async () => {
		const { db, target, ids, goldId } = await withGold();
		expect(await requeueExamples(db, target.id, ids, T0)).toBe(4);
		expect(await row(db, goldId)).toMatchObject({ isGold: true, status: 'accepted' });
	});

	it('annotators are not told which examples are gold', async () => {
		const { db, admin, ann, target, goldId } = await withGold();
		expect((await getExampleDetail(db, target.id, goldId, admin))?.gold).toEqual({ rating: 4 });
		expect((await getExampleDetail(db, target.id, goldId, ann))?.gold).toBeNull();
		expect((await db.select({ n: count() }).from(review).limit(1))[0]!.n).toBe(0);
	});
});
