import { describe, expect, it } from 'vitest';
import { markGold } from '$lib/server/gold';
import { myWork } from '$lib/server/myWork';
import { addMember } from '$lib/server/projects';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { importRows, makeProject, makeUser, reviewSubmission, T0 } from '../support/fixtures';
import { testDb } from '../support/database';

const DAY = 86_400_000;

describe('my work', () => {
	it("measures one person against the others' median and against gold, with intervals", async () => {
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
			now: new Date(T0.getTime() + DAY),
			days: 3
		});
		expect(figures.reviews).toBe(3);
		const day = (offset: number) =>
			new Date(T0.getTime() + offset * DAY).toISOString().slice(0, 10);
		expect(figures.perDay).toEqual([
			{ day: day(-1), reviews: 0 },
			{ day: day(0), reviews: 2 },
			{ day: day(1), reviews: 1 }
		]);
		expect(figures.consensus.units).toBe(3);
		// 2 of 3: Wilson's score interval at z = 1.96 is 0.2077 to 0.9385 (Wilson 1927, JASA 22:
		// 209–212; its formula as Newcombe 1998, Statistics in Medicine 17: 857–872, method 3, gives
		// it, worked by hand).
		expect(figures.consensus.exact).toMatchObject({ agreed: 2, of: 3 });
		expect(figures.consensus.exact!.low).toBeCloseTo(0.208, 3);
		expect(figures.consensus.exact!.high).toBeCloseTo(0.939, 3);
		expect(figures.consensus.withinOne).toMatchObject({ agreed: 2, of: 3 });
		expect(figures.gold.exact).toMatchObject({ agreed: 1, of: 2, share: 0.5 });
		expect(figures.gold.withinOne).toMatchObject({ agreed: 1, of: 2 });

		// Someone with no reviews has nothing to be measured on.
		const nobody = await myWork(db, target.id, admin.id, 'five_star', { now: T0, days: 1 });
		expect(nobody).toEqual({
			reviews: 0,
			perDay: [{ day: day(0), reviews: 0 }],
			consensus: { exact: null, withinOne: null, units: 0 },
			gold: { exact: null, withinOne: null }
		});
	});
});
