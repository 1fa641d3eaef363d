import { and, asc, count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type Db } from '$lib/server/db';
import { example, lease, project, review, type Project } from '$lib/server/db/schema';
import {
	claimNext,
	clearSkips,
	liveLeases,
	pruneExpiredLeases,
	queueProgress,
	releaseLeases,
	renewLeases,
	skipExample
} from '$lib/server/queue';
import { parseQueuePriority, setQueuePriority } from '$lib/server/queuePriority';
import { requeueExamples, submitReview } from '$lib/server/reviews';
import type { ProjectInput } from '$lib/schemas/project';
import {
	importRows,
	makeProject,
	makeUser,
	minutesAfter,
	reviewSubmission,
	T0,
	examplesOf
} from '../support/fixtures';
import { testDb } from '../support/database';

async function setup(overrides: Partial<ProjectInput> = {}, rows: object[] = []) {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, overrides);
	if (rows.length > 0) await importRows(db, target, rows);
	const ids = (await examplesOf(db, target.id)).map((e) => e.id);
	return { db, admin, target, ids };
}

/** `n` rows with outputs, so every one is claimable: q1 → a1, q2 → a2, … */
const answered = (n: number, from = 1) =>
	Array.from({ length: n }, (_, i) => ({ input: `q${from + i}`, output: `a${from + i}` }));

async function reloaded(db: Db, projectId: number): Promise<Project> {
	return (await db.select().from(project).where(eq(project.id, projectId)).limit(1))[0]!;
}

async function reviewCount(db: Db) {
	return (await db.select({ n: count() }).from(review).limit(1))[0]!.n;
}

async function leasesOf(db: Db, userId: string) {
	return await db
		.select()
		.from(lease)
		.where(eq(lease.userId, userId))
		.orderBy(asc(lease.exampleId));
}

/** Claims and accepts examples one by one until the queue has nothing for this user. */
async function drain(db: Db, projectId: number, userId: string, now = T0): Promise<number[]> {
	const served: number[] = [];
	for (let claimed = await claimNext(db, projectId, userId, now); claimed;) {
		served.push(claimed.exampleId);
		const result = await submitReview(db, projectId, userId, reviewSubmission(claimed), now);
		expect(result.ok).toBe(true);
		claimed = await claimNext(db, projectId, userId, now);
	}
	return served;
}

describe('overlap', () => {
	it('leases an example to no more annotators than it still needs reviews', async () => {
		const { db, target, ids } = await setup({ reviewsRequired: 2 }, answered(1));
		const [first, second, third] = [
			await makeUser(db, 'annotator'),
			await makeUser(db, 'annotator'),
			await makeUser(db, 'annotator')
		];
		const a = await claimNext(db, target.id, first.id, T0);
		const b = await claimNext(db, target.id, second.id, T0);
		expect(a?.exampleId).toBe(ids[0]);
		expect(b?.exampleId).toBe(ids[0]);
		expect(await claimNext(db, target.id, third.id, T0)).toBeNull();

		const submitted = await submitReview(
			db,
			target.id,
			first.id,
			reviewSubmission(a!),
			minutesAfter(1)
		);
		expect(submitted).toMatchObject({ ok: true, status: 'in_review' });
		// One review and one live lease fill the overlap of two.
		expect(await claimNext(db, target.id, third.id, minutesAfter(2))).toBeNull();
		expect(await claimNext(db, target.id, first.id, minutesAfter(2))).toBeNull();

		// The second lease ran out at T0 + 10 minutes, which frees its place.
		const c = await claimNext(db, target.id, third.id, minutesAfter(10, 1));
		expect(c).toMatchObject({ exampleId: ids[0], revisionId: a!.revisionId });
		expect(await claimNext(db, target.id, first.id, minutesAfter(10, 1))).toBeNull();
		expect((await liveLeases(db, ids[0], minutesAfter(10, 1))).map((l) => l.userId)).toEqual([
			third.id
		]);
	});

	it('frees an expired lease at the lease time and refuses a review on it', async () => {
		const { db, target, ids } = await setup({ reviewsRequired: 1 }, answered(1));
		const first = await makeUser(db, 'annotator');
		const second = await makeUser(db, 'annotator');
		const claimed = await claimNext(db, target.id, first.id, T0);
		expect(claimed?.leaseExpiresAt).toEqual(minutesAfter(10));

		expect(await claimNext(db, target.id, second.id, minutesAfter(9))).toBeNull();
		expect((await claimNext(db, target.id, second.id, minutesAfter(10, 1)))?.exampleId).toBe(
			ids[0]
		);

		const late = await submitReview(
			db,
			target.id,
			first.id,
			reviewSubmission(claimed!),
			minutesAfter(10, 2)
		);
		expect(late).toMatchObject({ ok: false, status: 409 });
		expect(await reviewCount(db)).toBe(0);
		expect((await examplesOf(db, target.id))[0]).toMatchObject({
			status: 'queued',
			reviewCount: 0,
			claimable: true
		});
	});

	it('uses the project’s lease minutes', async () => {
		const { db, target, ids } = await setup({}, answered(1));
		await db.transaction(async (tx) =>
			tx.update(project).set({ leaseMinutes: 3 }).where(eq(project.id, target.id))
		);
		const first = await makeUser(db, 'annotator');
		const second = await makeUser(db, 'annotator');
		expect((await claimNext(db, target.id, first.id, T0))?.leaseExpiresAt).toEqual(minutesAfter(3));
		expect(await claimNext(db, target.id, second.id, minutesAfter(2, 999))).toBeNull();
		expect((await claimNext(db, target.id, second.id, minutesAfter(3)))?.exampleId).toBe(ids[0]);
	});
});

describe('order', () => {
	it('serves started examples first, then the oldest', async () => {
		const { db, target, ids } = await setup({ reviewsRequired: 2 }, answered(3));
		const [e1, e2, e3] = ids;
		const first = await makeUser(db, 'annotator');
		const second = await makeUser(db, 'annotator');
		expect((await claimNext(db, target.id, first.id, T0))?.exampleId).toBe(e1);
		const prefetched = await claimNext(db, target.id, first.id, T0, [e1]);
		expect(prefetched?.exampleId).toBe(e2);
		expect(
			(await submitReview(db, target.id, first.id, reviewSubmission(prefetched!), T0)).ok
		).toBe(true);
		expect(await releaseLeases(db, target.id, e1)).toBe(1);

		// e2 has one of its two reviews; it goes before the older e1.
		expect((await claimNext(db, target.id, second.id, T0))?.exampleId).toBe(e2);
		expect((await claimNext(db, target.id, second.id, T0, [e2]))?.exampleId).toBe(e1);
		expect((await claimNext(db, target.id, second.id, T0, [e2, e1]))?.exampleId).toBe(e3);
	});

	it('serves a single annotator every example once, oldest first', async () => {
		const { db, target, ids } = await setup({}, answered(4));
		const annotator = await makeUser(db, 'annotator');
		expect(await drain(db, target.id, annotator.id)).toEqual(ids);
	});

	it('serves a random-order project by each example’s random key, every example once', async () => {
		const { db, target, ids } = await setup({}, answered(6));
		const keys = (await examplesOf(db, target.id)).map((e) => e.randomKey);
		expect(new Set(keys).size).toBe(6);
		await db.transaction(async (tx) =>
			tx.update(project).set({ queueOrder: 'random' }).where(eq(project.id, target.id))
		);
		// Fixed keys, so the order differs from the id order for certain.
		const fixed = [40, 10, 60, 20, 50, 30];
		await db.transaction(async (tx) => {
			for (const [i, id] of ids.entries())
				await tx.update(example).set({ randomKey: fixed[i] }).where(eq(example.id, id));
		});
		const annotator = await makeUser(db, 'annotator');
		const served = await drain(db, target.id, annotator.id);
		expect(served).toEqual([ids[1], ids[3], ids[5], ids[0], ids[4], ids[2]]);
		expect((await examplesOf(db, target.id)).every((e) => e.status === 'accepted')).toBe(true);
	});

	it('puts a priority tag first, for later imports too, until it is cleared', async () => {
		const { db, target, ids } = await setup({ reviewsRequired: 2 }, [
			{ input: 'q1', output: 'a1' },
			{ input: 'q2', output: 'a2', tags: ['urgent'] },
			{ input: 'q3', output: 'a3' },
			{ input: 'q4', output: 'a4', tags: ['urgent', 'other'] }
		]);
		await setQueuePriority(db, target.id, { kind: 'tag', tag: 'urgent' });
		expect(parseQueuePriority((await reloaded(db, target.id)).queuePriority)).toEqual({
			kind: 'tag',
			tag: 'urgent'
		});
		expect((await examplesOf(db, target.id)).map((e) => e.priority)).toEqual([0, 1, 0, 1]);

		await importRows(db, await reloaded(db, target.id), [
			{ input: 'q5', output: 'a5', tags: ['urgent'] },
			{ input: 'q6', output: 'a6' }
		]);
		const all = (await examplesOf(db, target.id)).map((e) => e.id);
		const [e1, e2, e3, e4] = ids;
		const [e5, e6] = all.slice(4);

		const first = await makeUser(db, 'annotator');
		expect(await drain(db, target.id, first.id)).toEqual([e2, e4, e5, e1, e3, e6]);

		await setQueuePriority(db, target.id, null);
		expect((await reloaded(db, target.id)).queuePriority).toBeNull();
		expect((await examplesOf(db, target.id)).map((e) => e.priority)).toEqual([0, 0, 0, 0, 0, 0]);
		const second = await makeUser(db, 'annotator');
		expect(await drain(db, target.id, second.id)).toEqual(all);
	});
});

describe('resume and prefetch', () => {
	it('gives back the held example on reload, another with skip, then the first again', async () => {
		const { db, target, ids } = await setup({}, answered(3));
		const annotator = await makeUser(db, 'annotator');
		const other = await makeUser(db, 'annotator');
		const current = await claimNext(db, target.id, annotator.id, T0);
		expect(current?.exampleId).toBe(ids[0]);
		expect(current).toMatchObject({ input: 'q1', output: 'a1' });

		const reload = await claimNext(db, target.id, annotator.id, minutesAfter(1));
		expect(reload).toMatchObject({ exampleId: ids[0], revisionId: current!.revisionId });
		expect(reload?.leaseExpiresAt).toEqual(minutesAfter(11));

		const next = await claimNext(db, target.id, annotator.id, minutesAfter(1), [ids[0]]);
		expect(next?.exampleId).toBe(ids[1]);
		expect((await claimNext(db, target.id, annotator.id, minutesAfter(2)))?.exampleId).toBe(ids[0]);
		expect((await leasesOf(db, annotator.id)).map((l) => l.exampleId)).toEqual([ids[0], ids[1]]);
		// Both held examples are out of others' reach while k = 1.
		expect((await claimNext(db, target.id, other.id, minutesAfter(2)))?.exampleId).toBe(ids[2]);
		// An undo asks for its example back by name, ahead of the one on screen.
		expect(
			(await claimNext(db, target.id, annotator.id, minutesAfter(3), [], ids[1]))?.exampleId
		).toBe(ids[1]);
	});

	it('renews live leases only; an expired one is not revived', async () => {
		const { db, target, ids } = await setup({}, answered(2));
		const annotator = await makeUser(db, 'annotator');
		expect((await claimNext(db, target.id, annotator.id, T0))?.exampleId).toBe(ids[0]);
		expect(
			(await claimNext(db, target.id, annotator.id, minutesAfter(5), [ids[0]]))?.exampleId
		).toBe(ids[1]);

		expect(await renewLeases(db, target.id, annotator.id, ids, minutesAfter(8))).toEqual(ids);
		expect((await leasesOf(db, annotator.id)).map((l) => l.leaseExpiresAt)).toEqual([
			minutesAfter(18),
			minutesAfter(18)
		]);

		// Both run out at T0 + 18: the second is renewed before that, the first is not revived after.
		expect(await renewLeases(db, target.id, annotator.id, [ids[1]], minutesAfter(17))).toEqual([
			ids[1]
		]);
		expect(await renewLeases(db, target.id, annotator.id, ids, minutesAfter(20))).toEqual([ids[1]]);
		expect((await leasesOf(db, annotator.id)).map((l) => l.leaseExpiresAt)).toEqual([
			minutesAfter(18),
			minutesAfter(30)
		]);
		expect(await liveLeases(db, ids[0], minutesAfter(20))).toEqual([]);
		expect(await renewLeases(db, target.id, annotator.id, [], minutesAfter(20))).toEqual([]);
	});
});

describe('skips', () => {
	it('keeps a skipped example from that user but not from others, until skips are cleared', async () => {
		const { db, target, ids } = await setup({ reviewsRequired: 2 }, answered(1));
		const annotator = await makeUser(db, 'annotator');
		const other = await makeUser(db, 'annotator');
		expect(await skipExample(db, target.id, annotator.id, ids[0], T0)).toBe(false);
		expect((await claimNext(db, target.id, annotator.id, T0))?.exampleId).toBe(ids[0]);
		expect(await skipExample(db, target.id, annotator.id, ids[0], T0)).toBe(true);
		expect(await leasesOf(db, annotator.id)).toEqual([]);

		expect(await claimNext(db, target.id, annotator.id, minutesAfter(1))).toBeNull();
		expect((await claimNext(db, target.id, other.id, minutesAfter(1)))?.exampleId).toBe(ids[0]);

		expect(await clearSkips(db, target.id, annotator.id)).toBe(1);
		expect(await clearSkips(db, target.id, annotator.id)).toBe(0);
		expect((await claimNext(db, target.id, annotator.id, minutesAfter(2)))?.exampleId).toBe(ids[0]);
	});

	it('skips only the revision that was skipped', async () => {
		const { db, target, ids } = await setup({}, answered(1));
		const annotator = await makeUser(db, 'annotator');
		const skipped = (await claimNext(db, target.id, annotator.id, T0))!;
		await skipExample(db, target.id, annotator.id, ids[0], T0);
		expect(await claimNext(db, target.id, annotator.id, T0)).toBeNull();

		expect(await requeueExamples(db, target.id, ids, minutesAfter(1))).toBe(1);
		const again = await claimNext(db, target.id, annotator.id, minutesAfter(2));
		expect(again?.exampleId).toBe(ids[0]);
		expect(again?.revisionId).not.toBe(skipped.revisionId);
	});
});

describe('admin and housekeeping', () => {
	it('releases an example’s leases at once, only within its project', async () => {
		const { db, admin, target, ids } = await setup({}, answered(1));
		const elsewhere = await makeProject(db, admin.id, { name: 'Elsewhere' });
		const holder = await makeUser(db, 'annotator');
		const waiting = await makeUser(db, 'annotator');
		const claimed = (await claimNext(db, target.id, holder.id, T0))!;
		expect(await claimNext(db, target.id, waiting.id, minutesAfter(1))).toBeNull();
		expect((await liveLeases(db, ids[0], minutesAfter(1))).map((l) => l.userId)).toEqual([
			holder.id
		]);

		expect(await releaseLeases(db, elsewhere.id, ids[0])).toBe(0);
		expect(await liveLeases(db, ids[0], minutesAfter(1))).toHaveLength(1);
		expect(await releaseLeases(db, target.id, ids[0])).toBe(1);
		expect(await liveLeases(db, ids[0], minutesAfter(1))).toEqual([]);

		expect((await claimNext(db, target.id, waiting.id, minutesAfter(1)))?.exampleId).toBe(ids[0]);
		const refused = await submitReview(
			db,
			target.id,
			holder.id,
			reviewSubmission(claimed),
			minutesAfter(2)
		);
		expect(refused).toMatchObject({ ok: false, status: 409 });
		expect(await reviewCount(db)).toBe(0);
	});

	it('prunes only leases that expired long ago', async () => {
		const { db, target, ids } = await setup({}, answered(3));
		const [a, b, c] = [
			await makeUser(db, 'annotator'),
			await makeUser(db, 'annotator'),
			await makeUser(db, 'annotator')
		];
		const usersLeft = async () =>
			(await db.select({ userId: lease.userId }).from(lease)).map((l) => l.userId).sort();
		await claimNext(db, target.id, a.id, T0); // expires T0 + 10
		await claimNext(db, target.id, b.id, minutesAfter(50)); // expires T0 + 60
		await claimNext(db, target.id, c.id, minutesAfter(65)); // expires T0 + 75, live at T0 + 70
		expect(await usersLeft()).toEqual([a.id, b.id, c.id].sort());

		// Older than an hour past its expiry at T0 + 70: only the lease that ran out at T0 + 10.
		expect(await pruneExpiredLeases(db, minutesAfter(70))).toBe(1);
		expect(await usersLeft()).toEqual([b.id, c.id].sort());
		expect(await pruneExpiredLeases(db, minutesAfter(70), 0)).toBe(1);
		expect(await usersLeft()).toEqual([c.id]);
		expect((await liveLeases(db, ids[0], minutesAfter(70))).map((l) => l.userId)).toEqual([c.id]);
	});

	it('never serves a repair to the annotator who wrote it', async () => {
		const { db, target, ids } = await setup({}, answered(1));
		const repairer = await makeUser(db, 'annotator');
		const other = await makeUser(db, 'annotator');
		const claimed = (await claimNext(db, target.id, repairer.id, T0))!;
		const repaired = await submitReview(
			db,
			target.id,
			repairer.id,
			reviewSubmission(claimed, { decision: 'repair', rating: 2, output: 'a better answer' }),
			T0
		);
		expect(repaired).toMatchObject({ ok: true, status: 'queued' });
		expect(await claimNext(db, target.id, repairer.id, minutesAfter(1))).toBeNull();
		expect(await claimNext(db, target.id, repairer.id, minutesAfter(30))).toBeNull();
		const served = await claimNext(db, target.id, other.id, minutesAfter(1));
		expect(served).toMatchObject({ exampleId: ids[0], output: 'a better answer' });
		expect(served?.revisionId).toBe(repaired.ok ? repaired.newRevisionId : -1);
	});

	it('does not serve an example that has no output yet', async () => {
		const { db, target, ids } = await setup({}, [{ input: 'q1' }, { input: 'q2', output: 'a2' }]);
		const annotator = await makeUser(db, 'annotator');
		expect((await examplesOf(db, target.id)).map((e) => e.claimable)).toEqual([false, true]);
		expect(await drain(db, target.id, annotator.id)).toEqual([ids[1]]);
	});
});

describe('progress', () => {
	it('leaves out of a person’s count what they reviewed, skipped or wrote, which others still see', async () => {
		const { db, target, ids } = await setup({ reviewsRequired: 2 }, answered(4));
		const [ann, bea] = [await makeUser(db, 'annotator'), await makeUser(db, 'annotator')];
		const left = async (userId: string) =>
			(await queueProgress(db, target.id, userId, T0)).leftForYou;

		const first = (await claimNext(db, target.id, ann.id, T0))!;
		expect((await submitReview(db, target.id, ann.id, reviewSubmission(first), T0)).ok).toBe(true);
		const second = (await claimNext(db, target.id, ann.id, T0))!;
		expect(await skipExample(db, target.id, ann.id, second.exampleId, T0)).toBe(true);
		const third = (await claimNext(db, target.id, ann.id, T0))!;
		const repaired = await submitReview(
			db,
			target.id,
			ann.id,
			reviewSubmission(third, { decision: 'repair', rating: 2, output: 'a better answer' }),
			T0
		);
		expect(repaired.ok).toBe(true);

		// Ann reviewed one, skipped one and wrote the repair of a third: one is left for her.
		expect(await left(ann.id)).toBe(1);
		// Bea sees all four: the first still needs a second review, the repair its first.
		expect(await left(bea.id)).toBe(4);
		expect(new Set([first, second, third].map((c) => c.exampleId)).size).toBe(3);
		expect(ids).toHaveLength(4);
	});

	it('counts this user’s reviews of today (UTC) in the project, and the examples left for them', async () => {
		const { db, admin, target } = await setup({}, answered(4));
		const elsewhere = await makeProject(db, admin.id, { name: 'Elsewhere' });
		await importRows(db, elsewhere, answered(1, 10));
		const annotator = await makeUser(db, 'annotator');
		const other = await makeUser(db, 'annotator');
		const lastNight = new Date('2025-02-28T23:59:59.999Z');
		const midnight = new Date('2025-03-01T00:00:00.000Z');

		expect(await queueProgress(db, target.id, annotator.id, T0)).toEqual({
			reviewedToday: 0,
			leftForYou: 4,
			moreThanCap: false
		});
		const review = async (userId: string, projectId: number, now: Date) => {
			const claimed = (await claimNext(db, projectId, userId, now))!;
			expect((await submitReview(db, projectId, userId, reviewSubmission(claimed), now)).ok).toBe(
				true
			);
		};
		await review(annotator.id, target.id, lastNight);
		await review(annotator.id, target.id, midnight);
		await review(other.id, target.id, T0);
		await review(annotator.id, elsewhere.id, T0);

		expect(await queueProgress(db, target.id, annotator.id, T0)).toEqual({
			reviewedToday: 1,
			leftForYou: 1,
			moreThanCap: false
		});
		expect(
			(await queueProgress(db, target.id, annotator.id, minutesAfter(14 * 60))).reviewedToday
		).toBe(1);
		expect(
			(await queueProgress(db, target.id, annotator.id, new Date('2025-03-02T00:00:00.000Z')))
				.reviewedToday
		).toBe(0);
		expect((await queueProgress(db, target.id, other.id, T0)).reviewedToday).toBe(1);
		expect(
			(
				await db
					.select({ n: count() })
					.from(example)
					.where(and(eq(example.projectId, target.id), eq(example.status, 'accepted')))
					.limit(1)
			)[0]!.n
		).toBe(3);
	});
});
