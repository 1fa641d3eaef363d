import { asc, count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type Db } from '$lib/server/db';
import { adjudication, example, revision } from '$lib/server/db/schema';
import { adjudicate, getAdjudication, listDisputed } from '$lib/server/adjudication';
import { getExampleDetail } from '$lib/server/examples';
import { addMember } from '$lib/server/projects';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import type { ProjectInput } from '$lib/schemas/project';
import {
	examplesOf,
	importRows,
	makeProject,
	makeUser,
	minutesAfter,
	reviewSubmission,
	T0
} from '../support/fixtures';
import { testDb } from '../support/database';

const ANSWER_SCHEMA = JSON.stringify({
	type: 'object',
	required: ['answer'],
	properties: { answer: { type: 'string' } },
	additionalProperties: false
});

/** A project with k = 2 whose first example two annotators rate 5 and 2: a real dispute. */
async function disputed(overrides: Partial<ProjectInput> = {}, output: unknown = 'an answer') {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const ann = await makeUser(db, 'annotator');
	const bob = await makeUser(db, 'annotator');
	const target = await makeProject(db, admin.id, { reviewsRequired: 2, ...overrides });
	await addMember(db, target.id, ann.id);
	await addMember(db, target.id, bob.id);
	await importRows(db, target, [
		{ input: 'first question', output },
		{ input: 'second question', output }
	]);
	const first = (await claimNext(db, target.id, ann.id, T0))!;
	const second = (await claimNext(db, target.id, bob.id, T0))!;
	expect(second.exampleId).toBe(first.exampleId);
	expect(
		(await submitReview(db, target.id, ann.id, reviewSubmission(first, { rating: 5 }), T0)).ok
	).toBe(true);
	const settled = await submitReview(
		db,
		target.id,
		bob.id,
		reviewSubmission(second, { rating: 2, decision: 'reject' }),
		T0
	);
	expect(settled).toMatchObject({ ok: true, status: 'disputed' });
	return { db, admin, ann, bob, target, exampleId: first.exampleId, revisionId: first.revisionId };
}

const adjudicationCount = async (db: Db) =>
	(await db.select({ n: count() }).from(adjudication).limit(1))[0]!.n;

describe('the adjudication queue', () => {
	it('lists disputed examples with their ratings, spread and why they are disputed', async () => {
		const { db, target, exampleId } = await disputed();
		const listed = await listDisputed(db, target.id, { limit: 10 });
		expect(listed.total).toBe(1);
		expect(listed.items).toHaveLength(1);
		expect(listed.items[0]).toMatchObject({
			id: exampleId,
			inputPreview: 'first question',
			reviewCount: 2,
			ratings: [2, 5],
			spread: 3,
			disputedBecause: 'ratings on both sides of the threshold',
			updatedAt: T0
		});
	});

	it('orders them oldest first, newest first or widest apart first, a page at a time', async () => {
		const { db, target, ann, bob, exampleId: first } = await disputed();
		await importRows(db, target, [{ input: 'third question', output: 'an answer' }]);
		// Disputed later, in turn: the second two apart (5 and 3), the third four (5 and 1);
		// the first is three apart (5 and 2). Each order is then different.
		const disputeNext = async (low: number, at: Date) => {
			const a = (await claimNext(db, target.id, ann.id, at))!;
			const b = (await claimNext(db, target.id, bob.id, at))!;
			expect(b.exampleId).toBe(a.exampleId);
			await submitReview(db, target.id, ann.id, reviewSubmission(a, { rating: 5 }), at);
			const low_ = reviewSubmission(b, { rating: low, decision: 'reject' });
			expect(await submitReview(db, target.id, bob.id, low_, at)).toMatchObject({
				status: 'disputed'
			});
			return a.exampleId;
		};
		const second = await disputeNext(3, minutesAfter(10));
		const third = await disputeNext(1, minutesAfter(20));
		const ids = async (order?: 'oldest' | 'newest' | 'spread', offset = 0, limit = 10) =>
			(await listDisputed(db, target.id, { limit, offset, order })).items.map((i) => i.id);

		expect(await ids()).toEqual([first, second, third]);
		expect(await ids('newest')).toEqual([third, second, first]);
		expect(await ids('spread')).toEqual([third, first, second]);
		expect(await ids('oldest', 1, 1)).toEqual([second]);
		expect((await listDisputed(db, target.id, { limit: 1 })).total).toBe(3);
	});
});

describe('adjudicate', () => {
	it('refuses a rating off the scale and writes nothing', async () => {
		const { db, admin, target, exampleId } = await disputed();
		const result = await adjudicate(
			db,
			target.id,
			admin.id,
			{ exampleId, rating: 7, decision: 'accept', reason: 'fine' },
			T0
		);
		expect(result).toMatchObject({ ok: false, status: 400, field: 'rating' });
		expect(await adjudicationCount(db)).toBe(0);
		expect((await examplesOf(db, target.id))[0].status).toBe('disputed');
	});

	it('requires a reason', async () => {
		const { db, admin, target, exampleId } = await disputed();
		const result = await adjudicate(
			db,
			target.id,
			admin.id,
			{ exampleId, rating: 4, decision: 'accept', reason: '   ' },
			T0
		);
		expect(result).toMatchObject({ ok: false, status: 400, field: 'reason' });
		expect(await adjudicationCount(db)).toBe(0);
	});

	it('answers 409 for an example that is not disputed, and 404 for one elsewhere', async () => {
		const { db, admin, target } = await disputed();
		const other = (await examplesOf(db, target.id))[1];
		expect(other.status).toBe('queued');
		const input = { exampleId: other.id, rating: 4, decision: 'accept', reason: 'ok' } as const;
		expect(await adjudicate(db, target.id, admin.id, input, T0)).toMatchObject({
			ok: false,
			status: 409
		});
		expect(await adjudicate(db, target.id + 1, admin.id, input, T0)).toMatchObject({
			ok: false,
			status: 404
		});
		expect(await adjudicationCount(db)).toBe(0);
	});

	it('sets the final rating and decision and records who, when and why', async () => {
		const { db, admin, target, exampleId, revisionId } = await disputed();
		const at = minutesAfter(30);
		const result = await adjudicate(
			db,
			target.id,
			admin.id,
			{ exampleId, rating: 4, decision: 'accept', reason: 'The answer is right.' },
			at
		);
		expect(result).toEqual({ ok: true, revisionId });
		const settled = (await db.select().from(example).where(eq(example.id, exampleId)).limit(1))[0]!;
		expect(settled).toMatchObject({
			status: 'accepted',
			finalRating: 4,
			finalDecision: 'accept',
			claimable: false,
			reviewCount: 2,
			currentRevisionId: revisionId
		});
		expect(await getAdjudication(db, exampleId)).toMatchObject({
			revisionId,
			revisionNumber: 1,
			adjudicator: admin.displayName,
			rating: 4,
			decision: 'accept',
			reason: 'The answer is right.',
			createdAt: at
		});
		expect((await listDisputed(db, target.id, { limit: 10 })).items).toEqual([]);
		// A second resolution finds nothing left to resolve.
		expect(
			await adjudicate(
				db,
				target.id,
				admin.id,
				{ exampleId, rating: 1, decision: 'reject', reason: 'again' },
				at
			)
		).toMatchObject({ ok: false, status: 409 });
	});

	it('puts the resolution on the example timeline, after the reviews it settled', async () => {
		const { db, admin, target, exampleId } = await disputed();
		await adjudicate(
			db,
			target.id,
			admin.id,
			{ exampleId, rating: 4, decision: 'accept', reason: 'The answer is right.' },
			minutesAfter(30)
		);
		const timeline = (await getExampleDetail(db, target.id, exampleId, { role: 'annotator' }))!
			.timeline;
		expect(timeline.map((e) => e.kind)).toEqual(['created', 'review', 'review', 'adjudication']);
		expect(timeline.at(-1)).toEqual({
			kind: 'adjudication',
			at: minutesAfter(30),
			revisionNumber: 1,
			adjudicator: admin.displayName,
			rating: 4,
			decision: 'accept',
			reason: 'The answer is right.'
		});
	});

	it('rejects an accepted example whose rating is below the threshold', async () => {
		const { db, admin, target, exampleId } = await disputed();
		await adjudicate(
			db,
			target.id,
			admin.id,
			{ exampleId, rating: 3, decision: 'accept', reason: 'meh' },
			T0
		);
		const settled = (await db.select().from(example).where(eq(example.id, exampleId)).limit(1))[0]!;
		expect(settled).toMatchObject({ status: 'rejected', finalRating: 3, finalDecision: 'accept' });
	});

	it('adds a repair as the new current revision and keeps the old one', async () => {
		const { db, admin, target, exampleId, revisionId } = await disputed();
		const result = await adjudicate(
			db,
			target.id,
			admin.id,
			{
				exampleId,
				rating: 5,
				decision: 'accept',
				reason: 'fixed the greeting',
				output: 'a better answer'
			},
			T0
		);
		expect(result.ok).toBe(true);
		const revisions = await db
			.select()
			.from(revision)
			.where(eq(revision.exampleId, exampleId))
			.orderBy(asc(revision.number));
		expect(revisions.map((r) => r.output)).toEqual(['an answer', 'a better answer']);
		expect(revisions[1]).toMatchObject({
			parentRevisionId: revisionId,
			authorKind: 'user',
			authorUserId: admin.id,
			reason: 'adjudicated: fixed the greeting'
		});
		const settled = (await db.select().from(example).where(eq(example.id, exampleId)).limit(1))[0]!;
		expect(settled).toMatchObject({
			currentRevisionId: revisions[1].id,
			status: 'accepted',
			reviewCount: 0
		});
		expect((await getAdjudication(db, exampleId))?.revisionId).toBe(revisions[1].id);
	});

	it('takes an unchanged output as no repair', async () => {
		const { db, admin, target, exampleId, revisionId } = await disputed();
		const result = await adjudicate(
			db,
			target.id,
			admin.id,
			{ exampleId, rating: 5, decision: 'accept', reason: 'fine', output: 'an answer' },
			T0
		);
		expect(result).toEqual({ ok: true, revisionId });
	});

	it('takes the output sent back as the form sends it, with CRLF line ends, as no repair', async () => {
		const { db, admin, target, exampleId, revisionId } = await disputed({}, 'two\nlines');
		const result = await adjudicate(
			db,
			target.id,
			admin.id,
			{ exampleId, rating: 5, decision: 'accept', reason: 'fine', output: 'two\r\nlines' },
			T0
		);
		expect(result).toEqual({ ok: true, revisionId });
	});

	it('judges a JSON output that never fit the schema as it is, when the editor sends it back pretty-printed', async () => {
		const { db, admin, target, exampleId, revisionId } = await disputed(
			{ outputKind: 'json', outputSchema: ANSWER_SCHEMA },
			{ answer: 'an answer' }
		);
		// As a job keeps a teacher's answer that missed the schema.
		await db.transaction(async (tx) =>
			tx
				.update(revision)
				.set({ output: '{"reply":"off"}', schemaValid: false })
				.where(eq(revision.id, revisionId))
		);
		const result = await adjudicate(
			db,
			target.id,
			admin.id,
			{
				exampleId,
				rating: 1,
				decision: 'reject',
				reason: 'wrong shape',
				output: '{\n  "reply": "off"\n}'
			},
			T0
		);
		expect(result).toEqual({ ok: true, revisionId });
	});

	it('refuses a repair that is not valid JSON for a JSON project', async () => {
		const { db, admin, target, exampleId, revisionId } = await disputed(
			{ outputKind: 'json', outputSchema: ANSWER_SCHEMA },
			{ answer: 'an answer' }
		);
		const bad = await adjudicate(
			db,
			target.id,
			admin.id,
			{ exampleId, rating: 5, decision: 'accept', reason: 'fix', output: '{"answer": ' },
			T0
		);
		expect(bad).toMatchObject({ ok: false, status: 400, field: 'output' });
		const offSchema = await adjudicate(
			db,
			target.id,
			admin.id,
			{ exampleId, rating: 5, decision: 'accept', reason: 'fix', output: '{"reply": "x"}' },
			T0
		);
		expect(offSchema).toMatchObject({ ok: false, status: 400, field: 'output' });
		expect(await adjudicationCount(db)).toBe(0);
		const unchanged = (
			await db.select().from(example).where(eq(example.id, exampleId)).limit(1)
		)[0]!;
		expect(unchanged).toMatchObject({ status: 'disputed', currentRevisionId: revisionId });
		// Re-indented JSON with the same content is not a repair.
		const same = await adjudicate(
			db,
			target.id,
			admin.id,
			{
				exampleId,
				rating: 5,
				decision: 'accept',
				reason: 'ok',
				output: '{\n  "answer": "an answer"\n}'
			},
			T0
		);
		expect(same).toEqual({ ok: true, revisionId });
	});
});
