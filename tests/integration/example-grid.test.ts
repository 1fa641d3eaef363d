import { describe, expect, it } from 'vitest';
import { adjudicate } from '$lib/server/adjudication';
import { markGold } from '$lib/server/gold';
import { EXAMPLES_PAGE_SIZE, listExampleGrid } from '$lib/server/examples';
import { addMember } from '$lib/server/projects';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { exampleGridSchema } from '$lib/schemas/examples';
import {
	exampleIds,
	importRows,
	makeProject,
	makeUser,
	minutesAfter,
	reviewSubmission
} from '../support/fixtures';
import { testDb } from '../support/database';

const order = (fields: Record<string, string> = {}) => exampleGridSchema.parse(fields);
const admin = { role: 'admin' } as const;

describe('the examples grid', () => {
	/**
	 * Five examples of a two-review project: "good" accepted at 5, "poor" rejected at 2,
	 * "split" disputed (5 against 2) and then adjudicated or not, "half" with one review and
	 * "fresh" with none, each reviewed a minute after the one before.
	 */
	async function reviewedProject() {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const [ann, bea] = [await makeUser(db, 'annotator'), await makeUser(db, 'annotator')];
		const target = await makeProject(db, admin.id, { reviewsRequired: 2 });
		for (const person of [ann, bea]) await addMember(db, target.id, person.id);
		const inputs = ['good', 'poor', 'split', 'half', 'fresh', 'unanswered'];
		await importRows(
			db,
			target,
			inputs.map((input) => (input === 'unanswered' ? { input } : { input, output: `${input}!` }))
		);
		const ids = await exampleIds(db, target.id);
		const idOf = (input: string) => ids[inputs.indexOf(input)];
		const plan: [string, string, number][] = [
			['good', ann.id, 5],
			['good', bea.id, 5],
			['poor', ann.id, 2],
			['poor', bea.id, 2],
			['split', ann.id, 5],
			['split', bea.id, 2],
			['half', ann.id, 4]
		];
		let minute = 1;
		for (const [input, person, rating] of plan) {
			const at = minutesAfter(minute++);
			// The queue serves started examples first, then the oldest: the plan's own order.
			const claimed = (await claimNext(db, target.id, person, at))!;
			expect(claimed.exampleId).toBe(idOf(input));
			const saved = await submitReview(
				db,
				target.id,
				person,
				reviewSubmission(claimed, { rating, decision: rating >= 4 ? 'accept' : 'reject' }),
				at
			);
			expect(saved.ok).toBe(true);
		}
		return { db, admin, target, idOf };
	}

	it('says why each example has its status', async () => {
		const { db, target, idOf } = await reviewedProject();

		const { items, total } = await listExampleGrid(db, target, {}, order(), admin);

		expect(total).toBe(6);
		const reasonOf = (input: string) => items.find((i) => i.id === idOf(input))?.statusReason;
		expect(reasonOf('good')).toBe('5 stars meets 4 stars');
		expect(reasonOf('poor')).toBe('2 stars is below 4 stars');
		expect(reasonOf('split')).toBe('Ratings on both sides of the threshold');
		expect(reasonOf('half')).toBe('1 of 2 reviews');
		expect(reasonOf('fresh')).toBe('0 of 2 reviews');
		expect(reasonOf('unanswered')).toBe('Waiting for an output');
		expect(items.find((i) => i.id === idOf('half'))?.reviewCount).toBe(1);
	});

	it('says an adjudicated example was adjudicated, with the rating the admin gave', async () => {
		const { db, admin, target, idOf } = await reviewedProject();
		const resolved = await adjudicate(
			db,
			target.id,
			admin.id,
			{ exampleId: idOf('split'), rating: 4, decision: 'accept', reason: 'Good enough' },
			minutesAfter(30)
		);
		expect(resolved.ok).toBe(true);

		const { items } = await listExampleGrid(db, target, { status: 'accepted' }, order(), admin);

		expect(items.map((i) => [i.id, i.statusReason])).toEqual([
			[idOf('split'), 'Adjudicated: 4 stars'],
			[idOf('good'), '5 stars meets 4 stars']
		]);
	});

	it('tells only an admin which examples are gold', async () => {
		const { db, target, idOf } = await reviewedProject();
		expect((await markGold(db, target.id, idOf('good'), 5, minutesAfter(30))).ok).toBe(true);
		const reasonAs = async (role: 'admin' | 'annotator') =>
			(await listExampleGrid(db, target, { ids: [idOf('good')] }, order(), { role })).items[0]
				.statusReason;

		expect(await reasonAs('admin')).toBe('Gold: true rating 5 stars');
		expect(await reasonAs('annotator')).toBe('5 stars meets 4 stars');
	});

	it('sorts by reviews, final rating and last activity, either way, id breaking ties', async () => {
		const { db, target, idOf } = await reviewedProject();
		const sorted = async (fields: Record<string, string>) =>
			(await listExampleGrid(db, target, {}, order(fields), admin)).items.map((i) => i.id);

		expect(await sorted({ sort: 'reviews' })).toEqual(
			['split', 'poor', 'good', 'half', 'unanswered', 'fresh'].map(idOf)
		);
		// Unrated examples come last whichever way ratings go.
		expect(await sorted({ sort: 'rating' })).toEqual(
			['good', 'split', 'poor', 'unanswered', 'fresh', 'half'].map(idOf)
		);
		expect(await sorted({ sort: 'rating', dir: 'asc' })).toEqual(
			['poor', 'split', 'good', 'half', 'fresh', 'unanswered'].map(idOf)
		);
		expect((await sorted({ sort: 'activity' })).slice(0, 4)).toEqual(
			['half', 'split', 'poor', 'good'].map(idOf)
		);
		expect(await sorted({ sort: 'id', dir: 'asc' })).toEqual(
			['good', 'poor', 'split', 'half', 'fresh', 'unanswered'].map(idOf)
		);
	});

	it('pages by number with the filter’s total, and takes a selection as part of the filter', async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id);
		const count = EXAMPLES_PAGE_SIZE + 7;
		await importRows(
			db,
			target,
			Array.from({ length: count }, (_, n) => ({ input: `question ${n}`, output: 'answer' }))
		);
		const ids = await exampleIds(db, target.id);

		const second = await listExampleGrid(db, target, {}, order({ page: '2' }), admin);
		expect(second.total).toBe(count);
		expect(second.items.map((i) => i.id)).toEqual(ids.slice(0, 7).reverse());

		const chosen = await listExampleGrid(db, target, { ids: [ids[3], ids[40]] }, order(), admin);
		expect(chosen.total).toBe(2);
		expect(chosen.items.map((i) => i.id)).toEqual([ids[40], ids[3]]);
	});
});
