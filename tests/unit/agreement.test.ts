import { describe, expect, it } from 'vitest';
import {
	bootstrapAlpha,
	coincidences,
	cohenKappa,
	fleissKappa,
	krippendorffAlpha,
	percentAgreement,
	type Rating,
	wilsonInterval
} from '$lib/agreement';
import { mulberry32 } from '$lib/random';

const _ = null;
const repeat = (value: number, times: number) => Array<number>(times).fill(value);
const columns = (...coders: Rating[][]) => coders[0].map((_, unit) => coders.map((c) => c[unit]));

// Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
// Communication, University of Pennsylvania, section C: 4 coders × 12 units, 7 ratings missing.
const krippendorff2011 = columns(
	[1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
	[1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
	[_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
	[1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _]
);

describe('Krippendorff’s alpha', () => {
	it('matches Krippendorff (2011) at every level of measurement, missing ratings included', () => {
		// Published there as α = 0.743 (nominal), 0.815 (ordinal), 0.849 (interval), 0.797 (ratio).
		expect(krippendorffAlpha(krippendorff2011, 'nominal').value).toBeCloseTo(0.743, 3);
		expect(krippendorffAlpha(krippendorff2011, 'ordinal').value).toBeCloseTo(0.815, 3);
		expect(krippendorffAlpha(krippendorff2011, 'interval').value).toBeCloseTo(0.849, 3);
		expect(krippendorffAlpha(krippendorff2011, 'ratio').value).toBeCloseTo(0.797, 3);
	});

	it('drops the unit with one rating and counts the pairable values as Krippendorff does', () => {
		// Same source: unit 12 has a single rating, leaving n = 40 pairable values in 11 units.
		const result = coincidences(krippendorff2011);
		expect(result.values).toEqual([1, 2, 3, 4, 5]);
		expect(result.pairableUnits).toBe(11);
		expect(result.pairableValues).toBe(40);
		// The value totals of the paper's coincidence matrix: n(1..5) = 9, 13, 10, 5, 3.
		const size = result.values.length;
		const marginals = result.values.map((_, c) =>
			result.matrix.slice(c * size, (c + 1) * size).reduce((sum, cell) => sum + cell, 0)
		);
		marginals.forEach((total, c) => expect(total).toBeCloseTo([9, 13, 10, 5, 3][c], 10));
		// Its first row, from units 1, 6, 8 and 11: o(1,1) = 3 + 2 + 2, o(1,2) = 1/3 + 1.
		expect(result.matrix[0]).toBeCloseTo(7, 10);
		expect(result.matrix[1]).toBeCloseTo(4 / 3, 10);
		expect(result.matrix[2]).toBeCloseTo(1 / 3, 10);
	});

	it('reads a list of each unit’s ratings the same as the padded matrix', () => {
		const lists = krippendorff2011.map((unit) => unit.filter((rating) => rating !== null));
		for (const level of ['nominal', 'ordinal', 'interval', 'ratio'] as const) {
			expect(krippendorffAlpha(lists, level).value).toBe(
				krippendorffAlpha(krippendorff2011, level).value
			);
		}
	});

	it('gives null with a reason for one coder, no pairable ratings, or no variation', () => {
		const oneCoder = krippendorffAlpha([[1], [2], [3]], 'nominal');
		expect(oneCoder).toEqual({ value: null, reason: expect.stringMatching(/one coder/) });

		const oneRatingEach = krippendorffAlpha(
			[
				[1, _],
				[_, 2],
				[3, _]
			],
			'ordinal'
		);
		expect(oneRatingEach).toEqual({ value: null, reason: expect.stringMatching(/paired/) });

		const allIdentical = krippendorffAlpha(
			[
				[4, 4, 4],
				[4, _, 4],
				[4, 4, _]
			],
			'interval'
		);
		expect(allIdentical).toEqual({
			value: null,
			reason: expect.stringMatching(/expected disagreement is 0/)
		});
		expect(krippendorffAlpha([], 'nominal').value).toBeNull();
	});

	it('is 1 for perfect agreement with variation, and below 0 for systematic disagreement', () => {
		expect(krippendorffAlpha(columns([1, 2, 3], [1, 2, 3]), 'ordinal').value).toBe(1);
		expect(krippendorffAlpha(columns([1, 2], [2, 1]), 'nominal').value).toBeLessThan(0);
	});
});

describe('bootstrap interval for alpha', () => {
	it('is reproducible for a seed and contains the point estimate', () => {
		const first = bootstrapAlpha(krippendorff2011, 'ordinal', { seed: 7, replicates: 500 });
		const again = bootstrapAlpha(krippendorff2011, 'ordinal', { seed: 7, replicates: 500 });
		const other = bootstrapAlpha(krippendorff2011, 'ordinal', { seed: 8, replicates: 500 });
		expect(again).toEqual(first);
		expect(other).not.toEqual(first);
		const interval = first.value!;
		expect(interval.alpha).toBeCloseTo(0.815, 3);
		expect(interval.lower).toBeLessThan(interval.alpha);
		expect(interval.upper).toBeGreaterThan(interval.alpha);
		expect(interval.replicates).toBe(500);
	});

	it('narrows as the same kind of data grows', () => {
		const width = (data: Rating[][]) => {
			const interval = bootstrapAlpha(data, 'ordinal', { seed: 3, replicates: 400 }).value!;
			return interval.upper - interval.lower;
		};
		const times = (n: number) => Array.from({ length: n }, () => krippendorff2011).flat();
		expect(width(times(10))).toBeLessThan(width(krippendorff2011));
		expect(width(times(100))).toBeLessThan(width(times(10)));
	});

	it('passes on the reason when alpha itself is undefined', () => {
		expect(bootstrapAlpha([[2, 2]], 'nominal')).toEqual({
			value: null,
			reason: expect.stringMatching(/same value/)
		});
	});

	it('draws from a deterministic generator in [0, 1)', () => {
		const a = mulberry32(42);
		const b = mulberry32(42);
		const draws = Array.from({ length: 1000 }, () => a());
		expect(draws).toEqual(Array.from({ length: 1000 }, () => b()));
		expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
		expect(Math.max(...draws)).toBeLessThan(1);
	});
});

describe('Fleiss’ kappa', () => {
	// Fleiss, J. L. (1971), as worked in Wikipedia's "Fleiss' kappa" article: 10 subjects, 14
	// raters, 5 categories, given as counts per category; P̄ = 0.378, P̄e = 0.213, κ = 0.210.
	const counts = [
		[0, 0, 0, 0, 14],
		[0, 2, 6, 4, 2],
		[0, 0, 3, 5, 6],
		[0, 3, 9, 2, 0],
		[2, 2, 8, 1, 1],
		[7, 7, 0, 0, 0],
		[3, 2, 6, 3, 0],
		[2, 5, 3, 2, 2],
		[6, 5, 2, 1, 0],
		[0, 2, 2, 3, 7]
	];
	const ratings = counts.map((row) => row.flatMap((n, category) => repeat(category + 1, n)));

	it('matches the worked example', () => {
		expect(fleissKappa(ratings).value).toBeCloseTo(0.21, 3);
	});

	it('refuses unequal numbers of ratings, one rating per unit, and no variation', () => {
		expect(
			fleissKappa([
				[1, 2, 2],
				[1, 1],
				[2, 2, 2]
			]).reason
		).toMatch(/same number of ratings/);
		expect(fleissKappa([[1], [2], [3]]).reason).toMatch(/one rating/);
		expect(
			fleissKappa([
				[3, 3],
				[3, 3]
			]).reason
		).toMatch(/same value/);
		expect(fleissKappa([]).value).toBeNull();
	});
});

describe('Cohen’s kappa', () => {
	// Wikipedia, "Cohen's kappa", simple example: 50 grant proposals, both yes 20, both no 15,
	// A yes and B no 5, A no and B yes 10; κ = 0.4.
	it('matches the Wikipedia example', () => {
		const yes = 1;
		const no = 0;
		const data = [
			...Array.from({ length: 20 }, () => [yes, yes]),
			...Array.from({ length: 15 }, () => [no, no]),
			...Array.from({ length: 5 }, () => [yes, no]),
			...Array.from({ length: 10 }, () => [no, yes])
		];
		expect(cohenKappa(data).value).toBeCloseTo(0.4, 3);
	});

	// scikit-learn, sklearn/metrics/tests/test_classification.py, test_cohen_kappa: the
	// multiclass example from Artstein & Poesio (2008), Table 4, κ = 0.8013, and the weighting
	// example, κ = 0.9315 unweighted, 0.9412 linear, 0.9541 quadratic (all to 4 decimals).
	const first = [...repeat(0, 46), ...repeat(1, 44), ...repeat(2, 10)];

	it('matches scikit-learn’s multiclass example from Artstein & Poesio', () => {
		const second = [...repeat(0, 52), ...repeat(1, 32), ...repeat(2, 16)];
		expect(cohenKappa(columns(first, second)).value).toBeCloseTo(0.8013, 4);
	});

	it('matches scikit-learn’s unweighted, linear and quadratic weighting example', () => {
		const second = [...repeat(0, 50), ...repeat(1, 40), ...repeat(2, 10)];
		const data = columns(first, second);
		expect(cohenKappa(data, 'unweighted').value).toBeCloseTo(0.9315, 4);
		expect(cohenKappa(data, 'linear').value).toBeCloseTo(0.9412, 4);
		expect(cohenKappa(data, 'quadratic').value).toBeCloseTo(0.9541, 4);
	});

	it('drops units either coder left unrated', () => {
		const second = [...repeat(0, 50), ...repeat(1, 40), ...repeat(2, 10)];
		const data = [...columns(first, second), [_, 2], [0, _], [_, _]];
		expect(cohenKappa(data, 'linear').value).toBeCloseTo(0.9412, 4);
	});

	it('counts steps across scale points nobody used when the scale is given', () => {
		const data = columns([1, 1, 5, 5], [1, 5, 5, 1]);
		const seenOnly = cohenKappa(data, 'linear').value!;
		expect(cohenKappa(data, 'linear', [1, 2, 3, 4, 5]).value).toBeCloseTo(seenOnly, 10);
		const skewed = columns([1, 2, 5, 5], [1, 5, 5, 2]);
		expect(cohenKappa(skewed, 'linear', [1, 2, 3, 4, 5]).value).not.toBeCloseTo(
			cohenKappa(skewed, 'linear').value!,
			3
		);
	});

	it('gives null with a reason for no shared units, a single value, or more than two coders', () => {
		expect(
			cohenKappa([
				[1, _],
				[_, 2]
			]).reason
		).toMatch(/both coders/);
		expect(
			cohenKappa(
				[
					[3, 3],
					[3, 3]
				],
				'quadratic'
			).reason
		).toMatch(/chance agreement is 1/);
		expect(cohenKappa([[1, 2, 3]]).reason).toMatch(/two coders/);
	});
});

describe('percent agreement', () => {
	it('pools agreeing pairs of ratings within units, missing ratings skipped', () => {
		// Unit 1: 3 pairs, 1 agrees; unit 2: 1 pair, agrees; unit 3: one rating, no pairs.
		const data = [
			[1, 1, 2],
			[4, _, 4],
			[5, _, _]
		];
		expect(percentAgreement(data).value).toBeCloseTo(2 / 4, 10);
		expect(percentAgreement(data, { within: 1 }).value).toBe(1);
	});

	it('agrees with a count by hand on the Krippendorff (2011) data', () => {
		// 55 pairs within units, 43 exact matches and 52 within one point.
		expect(percentAgreement(krippendorff2011).value).toBeCloseTo(43 / 55, 10);
		expect(percentAgreement(krippendorff2011, { within: 1 }).value).toBeCloseTo(52 / 55, 10);
	});

	it('gives null with a reason when no unit has two ratings', () => {
		expect(percentAgreement([[1], [2, _]])).toEqual({
			value: null,
			reason: expect.stringMatching(/two or more ratings/)
		});
	});
});

describe('the Wilson interval', () => {
	it('matches published values', () => {
		// 8 of 10: 0.490 to 0.943 (Newcombe 1998, method 3).
		const eight = wilsonInterval(8, 10)!;
		expect(eight.low).toBeCloseTo(0.4902, 3);
		expect(eight.high).toBeCloseTo(0.9433, 3);
		const none = wilsonInterval(0, 10)!;
		expect(none.low).toBe(0);
		expect(none.high).toBeCloseTo(0.2775, 3);
		expect(wilsonInterval(0, 0)).toBeNull();
	});
});
