// Inter-rater agreement: Krippendorff's alpha, Fleiss' kappa, Cohen's kappa and percent
// agreement. Pure, with no database, so the server, scripts and tests share one implementation.
//
// Input is always a reliability data matrix with one row per unit (an example) and one entry per
// coder (an annotator): `data[unit][coder]`, where `null` is a rating that coder did not give.
// Rows may be ragged: a list of the ratings each unit received is the same shape, so callers
// holding reviews per example need no padding. Only Cohen's kappa reads the columns as coders.
//
// Every statistic is a `Statistic`: a number, or `null` with the reason it is undefined. A
// division by zero here means the data cannot tell agreement from chance, and reporting NaN, or
// 1 because everyone agreed, would invite a reader to trust a number that does not exist.

import { mulberry32 } from './random';

export type Rating = number | null;
export type ReliabilityData = readonly (readonly Rating[])[];
export type Outcome<T> = { value: T; reason?: undefined } | { value: null; reason: string };
export type Statistic = Outcome<number>;
export type LevelOfMeasurement = 'nominal' | 'ordinal' | 'interval' | 'ratio';

const undefinedBecause = (reason: string) => ({ value: null, reason });

/**
 * Krippendorff's coincidence matrix: how often each pair of values was given to the same unit,
 * with each unit weighted by 1 / (m − 1) so that every pairable value counts once. Units with
 * fewer than two ratings cannot be paired and are left out, as Krippendorff prescribes.
 */
export type Coincidences = {
	/** The distinct values rated, ascending. */
	values: number[];
	/** values.length × values.length, row-major. */
	matrix: Float64Array;
	/** Units with at least two ratings. */
	pairableUnits: number;
	/** Ratings in those units (Krippendorff's n). */
	pairableValues: number;
};

/** Distinct values of the data, ascending, and a lookup from value to its index. */
function indexValues(data: ReliabilityData, extra: readonly number[] = []) {
	const seen = new Set<number>(extra);
	for (const unit of data) for (const rating of unit) if (rating !== null) seen.add(rating);
	const values = [...seen].sort((a, b) => a - b);
	const indexOf = new Map(values.map((value, index) => [value, index]));
	return { values, indexOf };
}

// Each unit adds counts[c] · (counts[k] − [c = k]) / (m − 1) to cell (c, k). Working from the
// unit's value counts rather than from pairs of coders, a unit costs its ratings plus the square
// of its distinct values (at most 25 on a 1–5 scale), and the matrix V² once: that is what lets
// 100,000 units be scored in tens of milliseconds.
export function coincidences(data: ReliabilityData): Coincidences {
	const { values, indexOf } = indexValues(data);
	const size = values.length;
	const matrix = new Float64Array(size * size);
	const counts = new Float64Array(size);
	const present: number[] = [];
	let pairableUnits = 0;
	let pairableValues = 0;
	for (const unit of data) {
		let m = 0;
		for (const rating of unit) {
			if (rating === null) continue;
			const index = indexOf.get(rating)!;
			if (counts[index]++ === 0) present.push(index);
			m++;
		}
		if (m >= 2) {
			pairableUnits++;
			pairableValues += m;
			for (const c of present) {
				const row = c * size;
				for (const k of present) {
					matrix[row + k] += (counts[c] * (counts[k] - (c === k ? 1 : 0))) / (m - 1);
				}
			}
		}
		for (const index of present) counts[index] = 0;
		present.length = 0;
	}
	return { values, matrix, pairableUnits, pairableValues };
}

/** Squared difference δ²(c, k) between the values at indexes c and k, given their marginals. */
function distanceMatrix(
	level: LevelOfMeasurement,
	values: readonly number[],
	marginals: Float64Array
): Float64Array {
	const size = values.length;
	const distances = new Float64Array(size * size);
	// Ordinal distance counts how many ratings lie between two values, so it needs running sums
	// of the marginals; half of each end value belongs to the span.
	const cumulative = new Float64Array(size + 1);
	for (let i = 0; i < size; i++) cumulative[i + 1] = cumulative[i] + marginals[i];
	for (let c = 0; c < size; c++) {
		for (let k = c + 1; k < size; k++) {
			let distance: number;
			if (level === 'nominal') distance = 1;
			else if (level === 'ordinal') {
				const span = cumulative[k + 1] - cumulative[c] - (marginals[c] + marginals[k]) / 2;
				distance = span * span;
			} else if (level === 'interval') distance = (values[c] - values[k]) ** 2;
			else {
				const sum = values[c] + values[k];
				distance = sum === 0 ? 0 : ((values[c] - values[k]) / sum) ** 2;
			}
			distances[c * size + k] = distance;
			distances[k * size + c] = distance;
		}
	}
	return distances;
}

/** Alpha from a coincidence matrix; also what each bootstrap replicate calls. */
export function alphaFromCoincidences(
	values: readonly number[],
	matrix: Float64Array,
	level: LevelOfMeasurement
): Statistic {
	const size = values.length;
	const marginals = new Float64Array(size);
	let n = 0;
	for (let c = 0; c < size; c++) {
		for (let k = 0; k < size; k++) marginals[c] += matrix[c * size + k];
		n += marginals[c];
	}
	if (n === 0) {
		return undefinedBecause('no unit has two or more ratings, so no ratings can be paired');
	}
	const distances = distanceMatrix(level, values, marginals);
	let observed = 0;
	let expected = 0;
	for (let c = 0; c < size; c++) {
		for (let k = 0; k < size; k++) {
			const distance = distances[c * size + k];
			if (distance === 0) continue;
			observed += matrix[c * size + k] * distance;
			expected += marginals[c] * marginals[k] * distance;
		}
	}
	if (expected === 0) {
		return undefinedBecause(
			'every pairable rating has the same value, so expected disagreement is 0'
		);
	}
	return { value: 1 - ((n - 1) * observed) / expected };
}

/**
 * Krippendorff's alpha with missing ratings and any number of coders per unit, following
 * Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability".
 */
export function krippendorffAlpha(data: ReliabilityData, level: LevelOfMeasurement): Statistic {
	if (data.every((unit) => unit.length <= 1)) {
		return undefinedBecause('there is only one coder, so there is no one to agree with');
	}
	const { values, matrix } = coincidences(data);
	return alphaFromCoincidences(values, matrix, level);
}

export type AlphaInterval = {
	alpha: number;
	lower: number;
	upper: number;
	/** Replicates drawn. */
	replicates: number;
	/** Replicates whose alpha was undefined (e.g. every drawn unit agreed), left out of the interval. */
	undefinedReplicates: number;
};

export type BootstrapOptions = {
	/** Replicates; 1000 by default. */
	replicates?: number;
	seed?: number;
	/** 0.95 by default. */
	confidence?: number;
};

/** The 95% Wilson score interval of a share: honest at small counts and near 0 or 1. */
export function wilsonInterval(successes: number, n: number, z = 1.96) {
	if (n === 0) return null;
	const p = successes / n;
	const z2 = z * z;
	const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
	const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
	return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** The middle value (the mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
	if (values.length === 0) return null;
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Linear interpolation between order statistics (R's default quantile, type 7). */
export function quantile(sorted: Float64Array, probability: number): number {
	const position = (sorted.length - 1) * probability;
	const below = Math.floor(position);
	const above = Math.min(below + 1, sorted.length - 1);
	return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/**
 * A percentile bootstrap interval for alpha, resampling units with replacement. The seed is a
 * parameter so a report shows the same interval every time it is rendered.
 *
 * Units with identical value counts contribute identically to the coincidence matrix, so they
 * are grouped first: a replicate then costs one draw per unit plus O(patterns × V²), instead of
 * rebuilding the matrix unit by unit.
 */
export function bootstrapAlpha(
	data: ReliabilityData,
	level: LevelOfMeasurement,
	{ replicates = 1000, seed = 1, confidence = 0.95 }: BootstrapOptions = {}
): Outcome<AlphaInterval> {
	const point = krippendorffAlpha(data, level);
	if (point.value === null) return point;
	const { values, indexOf } = indexValues(data);
	const size = values.length;

	// Each unit's pattern is the index of its distinct value counts; units that cannot be paired
	// get -1 but are still drawn, since they take a place in the resample like any other unit.
	const patternOfUnit = new Int32Array(data.length);
	const patternIndex = new Map<string, number>();
	const patternMatrices: Float64Array[] = [];
	const counts = new Float64Array(size);
	for (let u = 0; u < data.length; u++) {
		let m = 0;
		for (const rating of data[u]) {
			if (rating === null) continue;
			counts[indexOf.get(rating)!]++;
			m++;
		}
		if (m < 2) {
			patternOfUnit[u] = -1;
		} else {
			const key = counts.join(',');
			let pattern = patternIndex.get(key);
			if (pattern === undefined) {
				pattern = patternMatrices.length;
				patternIndex.set(key, pattern);
				const contribution = new Float64Array(size * size);
				for (let c = 0; c < size; c++) {
					if (counts[c] === 0) continue;
					for (let k = 0; k < size; k++) {
						contribution[c * size + k] = (counts[c] * (counts[k] - (c === k ? 1 : 0))) / (m - 1);
					}
				}
				patternMatrices.push(contribution);
			}
			patternOfUnit[u] = pattern;
		}
		counts.fill(0);
	}

	const random = mulberry32(seed);
	const draws = new Float64Array(patternMatrices.length);
	const matrix = new Float64Array(size * size);
	const estimates: number[] = [];
	for (let b = 0; b < replicates; b++) {
		draws.fill(0);
		for (let i = 0; i < data.length; i++) {
			const pattern = patternOfUnit[Math.floor(random() * data.length)];
			if (pattern >= 0) draws[pattern]++;
		}
		matrix.fill(0);
		for (let p = 0; p < patternMatrices.length; p++) {
			if (draws[p] === 0) continue;
			const contribution = patternMatrices[p];
			for (let cell = 0; cell < matrix.length; cell++)
				matrix[cell] += draws[p] * contribution[cell];
		}
		const estimate = alphaFromCoincidences(values, matrix, level);
		if (estimate.value !== null) estimates.push(estimate.value);
	}
	if (estimates.length === 0) {
		return undefinedBecause('alpha was undefined in every bootstrap replicate');
	}
	const sorted = Float64Array.from(estimates).sort();
	const tail = (1 - confidence) / 2;
	return {
		value: {
			alpha: point.value,
			lower: quantile(sorted, tail),
			upper: quantile(sorted, 1 - tail),
			replicates,
			undefinedReplicates: replicates - estimates.length
		}
	};
}

export type KappaInterval = { kappa: number; lower: number; upper: number; replicates: number };

/**
 * A percentile bootstrap interval for Cohen's kappa between two coders, resampling units (pairs
 * of ratings) with replacement, as bootstrapAlpha does; seeded, so a page shows the same
 * interval every time.
 */
export function bootstrapKappa(
	pairs: readonly (readonly [number, number])[],
	weights: KappaWeights,
	categories: readonly number[],
	{ replicates = 1000, seed = 1, confidence = 0.95 }: BootstrapOptions = {}
): Outcome<KappaInterval> {
	const point = cohenKappa(pairs, weights, categories);
	if (point.value === null) return point;
	const random = mulberry32(seed);
	const estimates: number[] = [];
	const drawn: (readonly [number, number])[] = new Array(pairs.length);
	for (let b = 0; b < replicates; b++) {
		for (let i = 0; i < pairs.length; i++) drawn[i] = pairs[Math.floor(random() * pairs.length)];
		const estimate = cohenKappa(drawn, weights, categories);
		if (estimate.value !== null) estimates.push(estimate.value);
	}
	if (estimates.length === 0) {
		return undefinedBecause('kappa was undefined in every bootstrap replicate');
	}
	const sorted = Float64Array.from(estimates).sort();
	const tail = (1 - confidence) / 2;
	return {
		value: {
			kappa: point.value,
			lower: quantile(sorted, tail),
			upper: quantile(sorted, 1 - tail),
			replicates
		}
	};
}

/**
 * Fleiss' kappa (Fleiss 1971) for nominal ratings. It assumes every unit was rated by the same
 * number of raters, so data with a different count anywhere gets null rather than a number
 * from the wrong formula; Krippendorff's alpha is the statistic for such data. Units with no
 * ratings at all are skipped, since they say nothing either way.
 */
export function fleissKappa(data: ReliabilityData): Statistic {
	const { values, indexOf } = indexValues(data);
	const size = values.length;
	const totals = new Float64Array(size);
	const counts = new Float64Array(size);
	let raters = 0;
	let units = 0;
	let agreementSum = 0;
	for (const unit of data) {
		let m = 0;
		for (const rating of unit) {
			if (rating === null) continue;
			counts[indexOf.get(rating)!]++;
			m++;
		}
		if (m === 0) continue;
		if (raters === 0) raters = m;
		if (m !== raters) {
			return undefinedBecause(
				'Fleiss’ kappa needs the same number of ratings for every unit; use Krippendorff’s alpha'
			);
		}
		let agreeingPairs = 0;
		for (let c = 0; c < size; c++) {
			agreeingPairs += counts[c] * (counts[c] - 1);
			totals[c] += counts[c];
		}
		agreementSum += m > 1 ? agreeingPairs / (m * (m - 1)) : 0;
		units++;
		counts.fill(0);
	}
	if (units === 0) return undefinedBecause('there are no ratings');
	if (raters < 2)
		return undefinedBecause('each unit has one rating, so there is nothing to compare');
	const observed = agreementSum / units;
	let expected = 0;
	for (let c = 0; c < size; c++) expected += (totals[c] / (units * raters)) ** 2;
	if (expected === 1) {
		return undefinedBecause('every rating has the same value, so chance agreement is 1');
	}
	return { value: (observed - expected) / (1 - expected) };
}

export type KappaWeights = 'unweighted' | 'linear' | 'quadratic';

/**
 * Cohen's kappa for two coders, the first two columns of `data`; units missing either rating
 * are dropped, as irr's `kappa2` does. Weighted kappa measures distance in steps between the
 * categories, which are the values seen unless `categories` lists the whole scale: pass it when
 * some scale points were never used, or the steps across them go uncounted.
 */
export function cohenKappa(
	data: ReliabilityData,
	weights: KappaWeights = 'unweighted',
	categories: readonly number[] = []
): Statistic {
	if (data.some((unit) => unit.length > 2)) {
		return undefinedBecause('Cohen’s kappa compares two coders; use Fleiss’ kappa or alpha');
	}
	const pairs = data.filter(
		(unit): unit is readonly [number, number] => unit[0] != null && unit[1] != null
	);
	if (pairs.length === 0) {
		return undefinedBecause('no unit was rated by both coders');
	}
	const { values, indexOf } = indexValues(pairs, categories);
	const size = values.length;
	const table = new Float64Array(size * size);
	const first = new Float64Array(size);
	const second = new Float64Array(size);
	for (const [a, b] of pairs) {
		const i = indexOf.get(a)!;
		const j = indexOf.get(b)!;
		table[i * size + j]++;
		first[i]++;
		second[j]++;
	}
	const n = pairs.length;
	let observed = 0;
	let expected = 0;
	for (let i = 0; i < size; i++) {
		for (let j = 0; j < size; j++) {
			const steps = Math.abs(i - j);
			const disagreement =
				weights === 'unweighted'
					? steps === 0
						? 0
						: 1
					: weights === 'linear'
						? steps
						: steps ** 2;
			observed += disagreement * table[i * size + j];
			expected += (disagreement * first[i] * second[j]) / n;
		}
	}
	if (expected === 0) {
		return undefinedBecause(
			'both coders gave one and the same value throughout, so chance agreement is 1'
		);
	}
	return { value: 1 - observed / expected };
}

/**
 * The share of pairs of ratings of the same unit that agree, pooled over units. With
 * `within: 1` ratings one point apart count as agreeing, which suits a 1–5 scale where 4
 * against 5 is a near miss. Units with fewer than two ratings have no pairs and add nothing.
 */
export function percentAgreement(data: ReliabilityData, { within = 0 } = {}): Statistic {
	let agreeing = 0;
	let pairs = 0;
	for (const unit of data) {
		const ratings = unit.filter((rating): rating is number => rating !== null);
		for (let a = 0; a < ratings.length; a++) {
			for (let b = a + 1; b < ratings.length; b++) {
				pairs++;
				if (Math.abs(ratings[a] - ratings[b]) <= within) agreeing++;
			}
		}
	}
	if (pairs === 0) return undefinedBecause('no unit has two or more ratings to compare');
	return { value: agreeing / pairs };
}
