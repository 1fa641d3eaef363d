import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { example, model, provider, revision } from '$lib/server/db/schema';
import {
	countExamplesMatching,
	exampleIdsMatching,
	getExampleDetail,
	leaseHolders,
	requeueMatching
} from '$lib/server/examples';
import { claimNext } from '$lib/server/queue';
import { requeueExamples, submitReview } from '$lib/server/reviews';
import type { ProjectInput } from '$lib/schemas/project';
import {
	importRows,
	makeProject,
	makeUser,
	minutesAfter,
	reviewSubmission,
	T0,
	exampleIds,
	requirementIdsOf
} from '../support/fixtures';
import { rawSql, testDb } from '../support/database';

const ADMIN = { role: 'admin' } as const;
const ANNOTATOR = { role: 'annotator' } as const;

async function setup(overrides: Partial<ProjectInput> = {}, rows: object[] = []) {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, overrides);
	await importRows(db, target, rows.length > 0 ? rows : [{ input: 'q1', output: 'a1' }]);
	const ids = await exampleIds(db, target.id);
	return { db, admin, target, ids };
}

describe('getExampleDetail', () => {
	it('returns every revision with its reviews, requirement ratings by name, and a timeline', async () => {
		const { db, target, ids } = await setup({
			reviewsRequired: 1,
			requirements: [
				{ name: 'Polite', description: '' },
				{ name: 'Correct', description: '' }
			]
		});
		const [polite, correct] = await requirementIdsOf(db, target.id);
		const repairer = await makeUser(db, 'annotator', 'ruth');
		const checker = await makeUser(db, 'annotator', 'carl');

		const first = (await claimNext(db, target.id, repairer.id, minutesAfter(1)))!;
		const repaired = await submitReview(
			db,
			target.id,
			repairer.id,
			reviewSubmission(first, {
				rating: 2,
				decision: 'repair',
				output: 'a better answer',
				comment: 'too curt',
				durationMs: 41_600,
				requirementRatings: new Map([
					[correct, 3],
					[polite, 1]
				])
			}),
			minutesAfter(2)
		);
		expect(repaired).toMatchObject({ ok: true, status: 'queued' });
		const second = (await claimNext(db, target.id, checker.id, minutesAfter(3)))!;
		expect(
			await submitReview(db, target.id, checker.id, reviewSubmission(second), minutesAfter(4))
		).toMatchObject({ ok: true, status: 'accepted' });
		expect(await requeueExamples(db, target.id, [ids[0]], minutesAfter(5))).toBe(1);

		const detail = (await getExampleDetail(db, target.id, ids[0], ANNOTATOR))!;
		expect(detail.example).toMatchObject({ id: ids[0], input: 'q1', status: 'queued' });
		expect(detail.origin).toBeNull();
		expect(detail.revisions.map((r) => [r.number, r.change, r.author, r.output])).toEqual([
			[1, 'first', { kind: 'import', name: null }, 'a1'],
			[2, 'repair', { kind: 'user', name: 'Test ruth' }, 'a better answer'],
			[3, 'requeue', { kind: 'user', name: 'Test ruth' }, 'a better answer']
		]);
		expect(detail.revisions[1].reason).toBe('too curt');
		expect(detail.example.currentRevisionId).toBe(detail.revisions[2].id);

		expect(detail.revisions[0].reviews).toEqual([
			{
				id: expect.any(Number),
				revisionId: detail.revisions[0].id,
				reviewer: 'Test ruth',
				username: 'ruth',
				rating: 2,
				decision: 'repair',
				comment: 'too curt',
				durationMs: 41_600,
				createdAt: minutesAfter(2),
				// In the project's order of requirements, not the order they were rated in.
				requirementRatings: [
					{ requirementId: polite, name: 'Polite', rating: 1 },
					{ requirementId: correct, name: 'Correct', rating: 3 }
				]
			}
		]);
		expect(detail.revisions[1].reviews).toMatchObject([
			{ reviewer: 'Test carl', rating: 5, decision: 'accept', requirementRatings: [] }
		]);
		expect(detail.revisions[2].reviews).toEqual([]);

		expect(detail.timeline).toEqual([
			{
				kind: 'created',
				at: T0,
				author: { kind: 'import', name: null },
				origin: null
			},
			{
				kind: 'review',
				at: minutesAfter(2),
				revisionNumber: 1,
				reviewer: 'Test ruth',
				rating: 2,
				decision: 'repair'
			},
			{
				kind: 'revision',
				at: minutesAfter(2),
				number: 2,
				change: 'repair',
				author: { kind: 'user', name: 'Test ruth' },
				reason: 'too curt'
			},
			{
				kind: 'review',
				at: minutesAfter(4),
				revisionNumber: 2,
				reviewer: 'Test carl',
				rating: 5,
				decision: 'accept'
			},
			{
				kind: 'revision',
				at: minutesAfter(5),
				number: 3,
				change: 'requeue',
				author: { kind: 'user', name: 'Test ruth' },
				reason: 're-queued for review by an admin'
			}
		]);

		const asAdmin = (await getExampleDetail(db, target.id, ids[0], ADMIN))!;
		expect(asAdmin.origin).toEqual({ source: 'import', jobId: null });
		expect(asAdmin.timeline[0]).toMatchObject({ origin: { source: 'import', jobId: null } });
	});

	it('names the model that wrote an output to admins only', async () => {
		const { db, target, ids } = await setup();
		const teacher = (
			await db.transaction(async (tx) =>
				tx
					.insert(provider)
					.values({ name: 'Teacher host', baseUrl: 'http://localhost:9/v1', createdAt: T0 })
					.returning()
			)
		)[0];
		const gpt = (
			await db.transaction(async (tx) =>
				tx
					.insert(model)
					.values({ providerId: teacher.id, name: 'secret-teacher-70b', createdAt: T0 })
					.returning()
			)
		)[0];
		const [current] = await db.select().from(revision).where(eq(revision.exampleId, ids[0]));
		const distilled = (
			await db.transaction(async (tx) =>
				tx
					.insert(revision)
					.values({
						exampleId: ids[0],
						number: 2,
						parentRevisionId: current.id,
						output: 'a distilled answer',
						authorKind: 'model',
						authorModelId: gpt.id,
						reason: 'distilled',
						createdAt: minutesAfter(1)
					})
					.returning()
			)
		)[0];
		await db.transaction(async (tx) =>
			tx
				.update(example)
				.set({ currentRevisionId: distilled.id, source: 'distillation' })
				.where(eq(example.id, ids[0]))
		);

		const blind = (await getExampleDetail(db, target.id, ids[0], ANNOTATOR))!;
		expect(blind.revisions[1]).toMatchObject({
			change: 'output',
			author: { kind: 'model', name: null }
		});
		expect(blind.origin).toBeNull();
		const shown = JSON.stringify(blind);
		expect(shown).not.toContain('secret-teacher-70b');
		expect(shown).not.toContain('Teacher host');
		expect(shown).not.toContain('distillation');

		const open = (await getExampleDetail(db, target.id, ids[0], ADMIN))!;
		expect(open.revisions[1].author).toEqual({ kind: 'model', name: 'secret-teacher-70b' });
		expect(open.origin).toEqual({ source: 'distillation', jobId: null });
	});

	it('is null for an example of another project', async () => {
		const { db, admin, ids } = await setup();
		const elsewhere = await makeProject(db, admin.id, { name: 'Elsewhere' });
		expect(await getExampleDetail(db, elsewhere.id, ids[0], ADMIN)).toBeNull();
	});
});

describe('leaseHolders', () => {
	it('lists live leases with the holder’s name, and none once they expire', async () => {
		const { db, target, ids } = await setup({ reviewsRequired: 2 });
		const holder = await makeUser(db, 'annotator', 'hana');
		expect((await claimNext(db, target.id, holder.id, T0))?.exampleId).toBe(ids[0]);
		expect(await leaseHolders(db, ids[0], minutesAfter(1))).toEqual([
			{ holder: 'Test hana', leasedAt: T0, leaseExpiresAt: minutesAfter(10) }
		]);
		expect(await leaseHolders(db, ids[0], minutesAfter(10))).toEqual([]);
	});
});

describe('exampleIdsMatching', () => {
	const rows = [
		{ input: 'reset my password', output: 'use the link', tags: ['account'] },
		{ input: 'where is my order', output: 'on its way', tags: ['orders'] },
		{ input: 'charged twice', output: 'refund sent', tags: ['orders'] },
		{ input: '100% sure?', output: 'yes' }
	];

	it('selects every example the filter selects, ignoring cursors, oldest first', async () => {
		const { db, admin, target, ids } = await setup({}, rows);
		const elsewhere = await makeProject(db, admin.id, { name: 'Elsewhere' });
		await importRows(db, elsewhere, rows);

		expect(await exampleIdsMatching(db, target.id, {})).toEqual(ids);
		expect(await exampleIdsMatching(db, target.id, { before: ids[1], after: ids[2] })).toEqual(ids);
		expect(await exampleIdsMatching(db, target.id, { tag: 'orders' })).toEqual([ids[1], ids[2]]);
		expect(await exampleIdsMatching(db, target.id, { q: 'refund' })).toEqual([ids[2]]);
		expect(await exampleIdsMatching(db, target.id, { q: '100%' })).toEqual([ids[3]]);
		expect(await exampleIdsMatching(db, target.id, { tag: 'orders', q: 'order' })).toEqual([
			ids[1]
		]);
		expect(await exampleIdsMatching(db, target.id, { status: 'accepted' })).toEqual([]);
		expect(await exampleIdsMatching(db, target.id, {}, 2)).toEqual(ids.slice(0, 2));
		expect(await countExamplesMatching(db, target.id, { tag: 'orders' })).toBe(2);
		expect(await countExamplesMatching(db, target.id, {})).toBe(4);
	});

	it('re-queues all the matching examples and no others', async () => {
		const { db, target, ids } = await setup({}, rows);
		const reviewer = await makeUser(db, 'annotator');
		for (const [index, at] of [
			[0, 1],
			[1, 2]
		]) {
			const claimed = (await claimNext(db, target.id, reviewer.id, minutesAfter(at)))!;
			expect(claimed.exampleId).toBe(ids[index]);
			expect(
				await submitReview(db, target.id, reviewer.id, reviewSubmission(claimed), minutesAfter(at))
			).toMatchObject({ ok: true, status: 'accepted' });
		}
		expect(await exampleIdsMatching(db, target.id, { status: 'accepted' })).toEqual([
			ids[0],
			ids[1]
		]);

		// One example per chunk, so that the change runs in several chunks inside the one transaction.
		expect(await requeueMatching(db, target.id, { status: 'accepted' }, minutesAfter(5), 1)).toBe(
			2
		);
		expect(await exampleIdsMatching(db, target.id, { status: 'accepted' })).toEqual([]);
		expect(await exampleIdsMatching(db, target.id, { status: 'queued' })).toEqual(ids);
		const revisionCounts: number[] = [];
		for (const id of ids) {
			revisionCounts.push(
				(await db.select().from(revision).where(eq(revision.exampleId, id))).length
			);
		}
		expect(revisionCounts).toEqual([2, 2, 1, 1]);
	});

	it('re-queues nothing when a later chunk fails: all or nothing', async () => {
		const { db, target, ids } = await setup({}, rows);
		const before = await db.select().from(revision);
		// A trigger makes the second chunk's re-queue throw, after the first chunk's went in.
		await rawSql(db, {
			sqlite: `create trigger refuse_second before insert on revision
				when new.example_id = ${ids[1]} begin select raise(abort, 'refused'); end`,
			postgres: `create function refuse_second() returns trigger language plpgsql as $$
				begin if new.example_id = ${ids[1]} then raise exception 'refused'; end if; return new; end $$;
				create trigger refuse_second before insert on revision
				for each row execute function refuse_second()`
		});
		await expect(requeueMatching(db, target.id, {}, minutesAfter(5), 1)).rejects.toThrow('refused');
		expect(await db.select().from(revision)).toEqual(before);
		expect(await exampleIdsMatching(db, target.id, { status: 'queued' })).toEqual(ids);
	});
});
