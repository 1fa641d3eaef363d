import { describe, expect, it } from 'vitest';
import { markGold } from '$lib/server/gold';
import { myWork } from '$lib/server/myWork';
import { updateQueueSettings } from '$lib/server/queuePriority';
import { queueSettingsSchema } from '$lib/schemas/queueSettings';
import { addMember } from '$lib/server/projects';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { importRows, makeProject, makeUser, reviewSubmission, T0 } from '../support/fixtures';
import { testDb } from '../support/database';

const DAY = 86_400_000;

describe('my work', () => {
	it('measures one person against the others who rated the same outputs, and against gold', async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const [ann, bea, cid] = [
			await makeUser(db, 'annotator'),
			await makeUser(db, 'annotator'),
			await makeUser(db, 'annotator')
		];
		const target = await makeProject(db, admin.id, { reviewsRequired: 3 });
		for (const person of [ann, bea, cid]) await addMember(db, target.id, person.id);
		await importRows(db, target, [
			{ input: 'one', output: 'a' },
			{ input: 'two', output: 'b' },
			{ input: 'three', output: 'c' }
		]);
		// Ann's ratings against the other two's: 5 with 5 and 5 (agrees), 3 with 5 and 5 (two
		// off), 4 with 5 and 3 (the median, 4: agrees). Ann's second day is a day later.
		const ratings: Record<string, Record<string, number>> = {
			one: { [ann.id]: 5, [bea.id]: 5, [cid.id]: 5 },
			two: { [ann.id]: 3, [bea.id]: 5, [cid.id]: 5 },
			three: { [ann.id]: 4, [bea.id]: 5, [cid.id]: 3 }
		};
		const inputOf = new Map<number, string>();
		for (const [i, person] of [ann, bea, cid].entries()) {
			for (let n = 0; n < 3; n++) {
				const at = new Date(T0.getTime() + (person === ann && n === 2 ? DAY : i * 1000));
				const claimed = (await claimNext(db, target.id, person.id, at))!;
				const input = claimed.input;
				inputOf.set(claimed.exampleId, input);
				const rating = ratings[input][person.id];
				const decision = rating >= 4 ? 'accept' : 'reject';
				const saved = await submitReview(
					db,
					target.id,
					person.id,
					reviewSubmission(claimed, { rating, decision }),
					at
				);
				expect(saved.ok).toBe(true);
			}
		}
		// Gold, marked afterwards: "three" is truly a 4 (Ann agrees), "two" a 5 (she does not).
		const idOf = (input: string) => [...inputOf].find(([, text]) => text === input)![0];
		await markGold(db, target.id, idOf('three'), 4, T0);
		await markGold(db, target.id, idOf('two'), 5, T0);

		const figures = await myWork(db, target.id, ann.id, 'five_star', {
			now: new Date(T0.getTime() + 3 * DAY),
			days: 4
		});
		expect(figures.reviews).toBe(3);
		const day = (offset: number) =>
			new Date(T0.getTime() + offset * DAY).toISOString().slice(0, 10);
		expect(figures.perDay).toEqual([
			{ day: day(0), reviews: 2 },
			{ day: day(1), reviews: 1 },
			{ day: day(2), reviews: 0 },
			{ day: day(3), reviews: 0 }
		]);
		// Six times someone else rated what Ann rated: the same rating twice (5 with 5, 5),
		// within one star four times (and 4 with 5, 3). Wilson's score interval for 2 of 6 at
		// z = 1.96 is 0.0968 to 0.7000 (Wilson 1927, JASA 22: 209–212, its formula worked by hand).
		expect(figures.others.exact).toMatchObject({ agreed: 2, of: 6 });
		expect(figures.others.exact!.low).toBeCloseTo(0.0968, 3);
		expect(figures.others.exact!.high).toBeCloseTo(0.7, 3);
		expect(figures.others.withinOne).toMatchObject({ agreed: 4, of: 6 });
		expect(figures.gold.exact).toMatchObject({ agreed: 1, of: 2, share: 0.5 });
		expect(figures.gold.withinOne).toMatchObject({ agreed: 1, of: 2 });
		// Gold is counted a day after the review, so it cannot point at which examples are gold.
		const soon = await myWork(db, target.id, ann.id, 'five_star', {
			now: new Date(T0.getTime() + DAY + 60_000)
		});
		expect(soon.gold.exact).toMatchObject({ of: 1 });
		expect(soon.others.exact).toMatchObject({ agreed: 2, of: 6 });

		// Someone with no reviews has nothing to be measured on.
		const nobody = await myWork(db, target.id, admin.id, 'five_star', { now: T0, days: 1 });
		expect(nobody).toEqual({
			reviews: 0,
			perDay: [{ day: day(0), reviews: 0 }],
			others: { exact: null, withinOne: null },
			gold: { exact: null, withinOne: null }
		});
	});

	it("leaves out a review of one's own repair, which the project counted for the repairer", async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const ann = await makeUser(db, 'annotator');
		const target = await makeProject(db, admin.id);
		await addMember(db, target.id, ann.id);
		await updateQueueSettings(
			db,
			target.id,
			queueSettingsSchema.parse({
				leaseMinutes: '10',
				queueOrder: 'oldest',
				priorityTag: '',
				repairerReviewCounts: 'on',
				goldPercent: '0',
				auditPercent: '10'
			}),
			T0
		);
		await importRows(db, target, [{ input: 'one', output: 'a' }]);
		const claimed = (await claimNext(db, target.id, ann.id, T0))!;
		const repaired = await submitReview(
			db,
			target.id,
			ann.id,
			reviewSubmission(claimed, { rating: 2, decision: 'repair', output: 'better' }),
			T0
		);
		expect(repaired.ok).toBe(true);
		// Two rows are Ann's: her rating of the output, and the project's review of her repair.
		const figures = await myWork(db, target.id, ann.id, 'five_star', { now: T0, days: 1 });
		expect(figures.reviews).toBe(1);
		expect(figures.perDay[0].reviews).toBe(1);
	});
});
