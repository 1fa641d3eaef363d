import { describe, expect, it } from 'vitest';
import type { User } from '$lib/server/db/schema';
import { claimNext } from '$lib/server/queue';
import { submitReview, type ReviewSubmission } from '$lib/server/reviews';
import { isoWeek, projectAgreement } from '$lib/server/agreement';
import {
	cohenKappa,
	fleissKappa,
	krippendorffAlpha,
	percentAgreement,
	type Rating
} from '$lib/agreement';
import type { ProjectInput } from '$lib/schemas/project';
import {
	exampleIds,
	importRows,
	makeProject,
	makeUser,
	minutesAfter,
	requirementIdsOf,
	reviewSubmission,
	T0
} from '../support/fixtures';
import { testDb } from '../support/database';

const DAY_MINUTES = 24 * 60;

async function setup(overrides: Partial<ProjectInput>, examples: number, annotators = 3) {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, overrides);
	await importRows(
		db,
		target,
		Array.from({ length: examples }, (_, i) => ({ input: `q${i}`, output: `a${i}` }))
	);
	const people: User[] = [];
	// Named so that the annotators sort a, b, c: the order of the matrix's columns.
	for (let j = 0; j < annotators; j++)
		people.push(await makeUser(db, 'annotator', `ann-${'abc'[j]}`));
	const ids = await exampleIds(db, target.id);
	/** Annotator `j` claims and reviews example `i` through the real queue. */
	const review = async (j: number, i: number, over: Partial<ReviewSubmission> = {}, now = T0) => {
		const claimed = await claimNext(db, target.id, people[j].id, now);
		expect(claimed?.exampleId).toBe(ids[i]);
		const result = await submitReview(
			db,
			target.id,
			people[j].id,
			reviewSubmission(claimed!, over),
			now
		);
		expect(result.ok).toBe(true);
	};
	return { db, target, people, ids, review };
}

describe('projectAgreement', () => {
	it('reports perfect agreement on varied ratings as alpha 1, with every figure defined', async () => {
		const ratings = [1, 2, 3, 4, 5, 3];
		const { db, target, review } = await setup({ reviewsRequired: 3 }, ratings.length);
		for (let j = 0; j < 3; j++) {
			for (const [i, rating] of ratings.entries()) await review(j, i, { rating });
		}

		const figures = (await projectAgreement(db, target.id))!;
		expect(figures.level).toBe('ordinal');
		expect(figures.alsoLevel).toBe('interval');
		expect(figures.alpha.value).toBe(1);
		expect(figures.alsoAlpha?.value).toBe(1);
		expect(figures.interval.value).toMatchObject({ alpha: 1, lower: 1, upper: 1, replicates: 500 });
		expect(figures.reading?.reading).toBe('reliable');
		expect(figures.fleiss).toMatchObject({ kappa: { value: 1 }, raters: 3, units: 6 });
		expect(figures.percentExact.value).toBe(1);
		expect(figures.percentWithinOne?.value).toBe(1);
		expect(figures.kappaWeights).toBe('quadratic');
		expect(figures.kappaPairs.map((p) => p.kappa.value)).toEqual([1, 1, 1]);
		expect(figures.quality.map((q) => q.effectOnAlpha)).toEqual([0, 0, 0]);
	});

	it('matches the pure statistics on the same matrix, per week, pair and annotator', async () => {
		const matrix: number[][] = [
			[1, 1, 2],
			[2, 3, 2],
			[3, 3, 3],
			[4, 5, 4],
			[5, 5, 3],
			[2, 2, 1],
			[4, 4, 4],
			[1, 2, 1]
		];
		const { db, target, people, review } = await setup(
			{ reviewsRequired: 3, requirements: [{ name: 'Polite', description: '' }] },
			matrix.length
		);
		const [politeId] = await requirementIdsOf(db, target.id);
		// Units 0–3 are reviewed in ISO week 2025-W09 (T0 is Saturday 1 March), units 4–7 a week
		// later, except that unit 3's last review also falls in the later week.
		const at = (i: number, j: number) =>
			minutesAfter(i >= 4 || (i === 3 && j === 2) ? 7 * DAY_MINUTES + i : i);
		const seconds = [
			[10, 20, 30, 40, 50, 60, 70, 80],
			[5, 5, 5, 5, 5, 5, 5, 5],
			[1, 2, 3, 4, 5, 6, 7, 8]
		];
		for (let j = 0; j < 3; j++) {
			for (const [i, row] of matrix.entries()) {
				await review(
					j,
					i,
					{
						rating: row[j],
						requirementRatings: new Map([[politeId, row[j]]]),
						durationMs: seconds[j][i] * 1000
					},
					at(i, j)
				);
			}
		}

		const figures = (await projectAgreement(db, target.id, { seed: 7 }))!;
		expect(figures.units).toBe(8);
		expect(figures.reviews).toBe(24);
		expect(figures.alpha).toEqual(krippendorffAlpha(matrix, 'ordinal'));
		expect(figures.alsoAlpha).toEqual(krippendorffAlpha(matrix, 'interval'));
		expect(figures.alpha.value).toBeGreaterThan(0);
		expect(figures.alpha.value).toBeLessThan(1);
		const interval = figures.interval.value!;
		expect(interval.lower).toBeLessThanOrEqual(interval.alpha);
		expect(interval.upper).toBeGreaterThanOrEqual(interval.alpha);
		expect((await projectAgreement(db, target.id, { seed: 7 }))!.interval).toEqual(
			figures.interval
		);
		expect(figures.fleiss.kappa).toEqual(fleissKappa(matrix));
		expect(figures.percentExact).toEqual(percentAgreement(matrix));
		expect(figures.percentWithinOne).toEqual(percentAgreement(matrix, { within: 1 }));
		expect(figures.requirements).toEqual([
			{ id: politeId, name: 'Polite', archived: false, units: 8, alpha: figures.alpha }
		]);

		expect(figures.weekly.map((w) => [w.week, w.start, w.units])).toEqual([
			['2025-W09', '2025-02-24', 3],
			['2025-W10', '2025-03-03', 5]
		]);
		expect(figures.weekly[0].alpha).toEqual(krippendorffAlpha(matrix.slice(0, 3), 'ordinal'));
		expect(figures.weekly[1].alpha).toEqual(krippendorffAlpha(matrix.slice(3), 'ordinal'));

		const column = (j: number) => matrix.map((row) => row[j]);
		const scale = [1, 2, 3, 4, 5];
		for (const pair of figures.kappaPairs) {
			const a = people.findIndex((p) => p.id === pair.a);
			const b = people.findIndex((p) => p.id === pair.b);
			const pairs = (x: number, y: number) => column(x).map((v, i) => [v, column(y)[i]]);
			expect(pair.sharedUnits).toBe(8);
			expect(pair.kappa).toEqual(cohenKappa(pairs(a, b), 'quadratic', scale));
			// Symmetric: the same figure whichever annotator is read first.
			expect(pair.kappa.value).toBeCloseTo(cohenKappa(pairs(b, a), 'quadratic', scale).value!, 12);
		}
		expect(figures.kappaPairs).toHaveLength(3);

		const [first, second, third] = figures.quality;
		expect(figures.quality.map((q) => q.userId)).toEqual(people.map((p) => p.id));
		expect(figures.quality.map((q) => q.reviews)).toEqual([8, 8, 8]);
		const without = (j: number) => matrix.map((row) => row.filter((_, k) => k !== j));
		expect(first.alphaWithout).toEqual(krippendorffAlpha(without(0), 'ordinal'));
		expect(first.effectOnAlpha).toBeCloseTo(
			figures.alpha.value! - krippendorffAlpha(without(0), 'ordinal').value!,
			12
		);
		const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
		expect(third.meanRating).toBeCloseTo(mean(column(2)), 12);
		expect(third.othersMeanRating).toBeCloseTo(mean([...column(0), ...column(1)]), 12);
		expect(first.medianSeconds).toBe(45);
		expect(second.medianSeconds).toBe(5);
		expect(third.medianSeconds).toBe(4.5);
		expect(first.repairRate).toBe(0);
		expect(first.distribution.map((d) => d.count)).toEqual([2, 2, 1, 2, 1]);
	});

	it('reads pass/fail as nominal with unweighted kappa, and counts repairs per annotator', async () => {
		const { db, target, people, review } = await setup(
			{ ratingScale: 'pass_fail', threshold: 1, reviewsRequired: 2 },
			4,
			2
		);
		await review(0, 0, { rating: 0, decision: 'repair', output: 'a better answer' });
		for (const i of [1, 2, 3])
			await review(0, i, { rating: i % 2, decision: i % 2 ? 'accept' : 'reject' });
		// Started examples come first; example 0 comes back last, as its repaired revision: a unit
		// of its own.
		for (const i of [1, 2, 3, 0]) await review(1, i, { rating: 1 });

		const figures = (await projectAgreement(db, target.id))!;
		expect(figures.level).toBe('nominal');
		expect(figures.alsoLevel).toBeNull();
		expect(figures.alsoAlpha).toBeNull();
		expect(figures.percentWithinOne).toBeNull();
		expect(figures.kappaWeights).toBe('unweighted');
		expect(figures.units).toBe(5);
		expect(figures.pairableUnits).toBe(3);
		const byUser = new Map(figures.quality.map((q) => [q.userId, q]));
		expect(byUser.get(people[0].id)).toMatchObject({ reviews: 4, repairRate: 0.25 });
		expect(byUser.get(people[1].id)).toMatchObject({ reviews: 4, repairRate: 0 });
		expect(byUser.get(people[0].id)!.medianSeconds).toBeNull();
		expect(figures.quality[0].distribution).toEqual([
			{ value: 0, label: 'Fail', count: 2 },
			{ value: 1, label: 'Pass', count: 2 }
		]);
	});

	it('leaves a pair of annotators who share fewer than two units without a kappa', async () => {
		const { db, target, people, review } = await setup(
			{ ratingScale: 'pass_fail_critical', threshold: 1, reviewsRequired: 2 },
			3
		);
		for (const i of [0, 1, 2]) await review(0, i, { rating: i });
		await review(1, 0, { rating: 0 });
		await review(1, 1, { rating: 2 });
		await review(2, 2, { rating: 2 });

		const figures = (await projectAgreement(db, target.id))!;
		expect(figures.level).toBe('ordinal');
		const pair = (a: number, b: number) =>
			figures.kappaPairs.find((p) => p.a === people[a].id && p.b === people[b].id)!;
		const data: Rating[][] = [
			[0, 0],
			[1, 2]
		];
		expect(pair(0, 1).kappa).toEqual(cohenKappa(data, 'quadratic', [0, 1, 2]));
		expect(pair(0, 2)).toMatchObject({ sharedUnits: 1, kappa: { value: null } });
		expect(pair(0, 2).kappa.reason).toMatch(/at least 2/);
		expect(pair(1, 2)).toMatchObject({ sharedUnits: 0, kappa: { value: null } });
	});

	it('gives null with a reason, never NaN, when there are no reviews', async () => {
		const { db, target } = await setup({ reviewsRequired: 2 }, 2);
		const figures = (await projectAgreement(db, target.id))!;
		for (const statistic of [figures.alpha, figures.alsoAlpha!, figures.interval]) {
			expect(statistic.value).toBeNull();
			expect(statistic.reason).toBe('there are no reviews yet');
		}
		expect(figures.reading).toBeNull();
		expect(figures.fleiss.kappa.value).toBeNull();
		expect(figures.percentExact).toMatchObject({ value: null, reason: expect.any(String) });
		expect(figures).toMatchObject({ weekly: [], kappaPairs: [], quality: [], units: 0 });
		expect(await projectAgreement(db, target.id + 100)).toBeNull();
	});

	it('numbers weeks as ISO 8601 does across year ends', () => {
		expect(isoWeek(new Date('2021-01-03T12:00:00Z'))).toEqual({
			week: '2020-W53',
			start: '2020-12-28'
		});
		expect(isoWeek(new Date('2024-12-30T00:00:00Z'))).toEqual({
			week: '2025-W01',
			start: '2024-12-30'
		});
		expect(isoWeek(T0)).toEqual({ week: '2025-W09', start: '2025-02-24' });
	});
});
