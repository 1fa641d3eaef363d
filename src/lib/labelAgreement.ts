// Agreement and accuracy for label sets, label by label. Pure, like agreement.ts, whose
// statistics it applies to one label at a time.
//
// Each unit (an example) holds what each coder (an annotator, or a model) chose: a list of
// labels, one for a single-choice set, any number for a multiple-choice set. A label's own
// agreement reads the data as "chose this label, or not": Fleiss' kappa of that dichotomy is
// exactly Fleiss' (1971) per-category kappa, κ_j = 1 − Σ x_ij (m − x_ij) / (N m (m − 1) p_j q_j),
// and Krippendorff's nominal alpha of it is the label's alpha.

import {
	fleissKappa,
	krippendorffAlpha,
	quantile,
	type BootstrapOptions,
	type Outcome,
	type ReliabilityData,
	type Statistic
} from './agreement';
import { mulberry32 } from './random';

export type Choice = readonly string[];
/** `units[unit][coder]`: the labels a coder chose for a unit. */
export type LabelData = readonly (readonly Choice[])[];

export type Estimate = { value: number; lower: number; upper: number };
export type Interval = Outcome<Estimate>;

/** Each coder's choice as 1 (chose the label) or 0. */
export function dichotomy(units: LabelData, label: string): ReliabilityData {
	return units.map((unit) => unit.map((choice) => (choice.includes(label) ? 1 : 0)));
}

/**
 * A percentile interval for a statistic of units, resampling units with replacement (seeded,
 * so a page shows the same interval each time); replicates where it is undefined are left out.
 */
export function bootstrapUnits<T>(
	units: readonly T[],
	statistic: (units: readonly T[]) => Statistic,
	{ replicates = 1000, seed = 1, confidence = 0.95 }: BootstrapOptions = {}
): Interval {
	const point = statistic(units);
	if (point.value === null) return point;
	const random = mulberry32(seed);
	const drawn: T[] = new Array(units.length);
	const estimates: number[] = [];
	for (let b = 0; b < replicates; b++) {
		for (let i = 0; i < units.length; i++) drawn[i] = units[Math.floor(random() * units.length)];
		const estimate = statistic(drawn);
		if (estimate.value !== null) estimates.push(estimate.value);
	}
	if (estimates.length === 0) {
		return { value: null, reason: 'it was undefined in every bootstrap replicate' };
	}
	const sorted = Float64Array.from(estimates).sort();
	const tail = (1 - confidence) / 2;
	return {
		value: {
			value: point.value,
			lower: quantile(sorted, tail),
			upper: quantile(sorted, 1 - tail)
		}
	};
}

export type LabelAgreement = {
	label: string;
	/** The share of all choices that chose this label (Fleiss' p_j). */
	share: number;
	kappa: Interval;
	alpha: Interval;
};

/** Per-label kappa and alpha, each with its bootstrap interval. */
export function labelAgreement(
	units: LabelData,
	labels: readonly string[],
	options: BootstrapOptions = {}
): LabelAgreement[] {
	const choices = units.reduce((n, unit) => n + unit.length, 0);
	return labels.map((label) => {
		const data = dichotomy(units, label);
		let chosen = 0;
		for (const unit of data) for (const rating of unit) chosen += rating ?? 0;
		return {
			label,
			share: choices === 0 ? 0 : chosen / choices,
			kappa: bootstrapUnits(data, fleissKappa, options),
			alpha: bootstrapUnits(data, (d) => krippendorffAlpha(d, 'nominal'), options)
		};
	});
}

/**
 * How often each coder's label met each consensus label, single choice: `matrix[i][j]` counts
 * units where the consensus was labels[i] and the coder chose labels[j]. A label outside the
 * set is not counted.
 */
export function confusionMatrix(
	pairs: readonly { consensus: string; chosen: string }[],
	labels: readonly string[]
): number[][] {
	const index = new Map(labels.map((label, i) => [label, i]));
	const matrix = labels.map(() => labels.map(() => 0));
	for (const { consensus, chosen } of pairs) {
		const row = index.get(consensus);
		const column = index.get(chosen);
		if (row !== undefined && column !== undefined) matrix[row][column]++;
	}
	return matrix;
}

export type Prediction = { truth: Choice; predicted: Choice };

type Counts = { truePositives: number; falsePositives: number; falseNegatives: number };

function countsFor(predictions: readonly Prediction[], label: string): Counts {
	const counts = { truePositives: 0, falsePositives: 0, falseNegatives: 0 };
	for (const { truth, predicted } of predictions) {
		const inTruth = truth.includes(label);
		const inPredicted = predicted.includes(label);
		if (inTruth && inPredicted) counts.truePositives++;
		else if (inPredicted) counts.falsePositives++;
		else if (inTruth) counts.falseNegatives++;
	}
	return counts;
}

const ratio = (part: number, whole: number, reason: string): Statistic =>
	whole === 0 ? { value: null, reason } : { value: part / whole };

function precisionOf(c: Counts): Statistic {
	return ratio(c.truePositives, c.truePositives + c.falsePositives, 'the model never chose it');
}

function recallOf(c: Counts): Statistic {
	return ratio(c.truePositives, c.truePositives + c.falseNegatives, 'people never chose it');
}

/**
 * F1 of a label; a precision or recall that is undefined counts as 0 here, as scikit-learn's
 * zero_division default does, so that a label the model never predicts lowers the macro-F1.
 */
function f1Of(c: Counts): Statistic {
	if (c.truePositives + c.falsePositives + c.falseNegatives === 0) {
		return { value: null, reason: 'neither people nor the model chose it' };
	}
	const precision = precisionOf(c).value ?? 0;
	const recall = recallOf(c).value ?? 0;
	return { value: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

/** The mean F1 of the labels that people or the model chose. */
function macroF1(predictions: readonly Prediction[], labels: readonly string[]): Statistic {
	const scores = labels
		.map((label) => f1Of(countsFor(predictions, label)).value)
		.filter((v): v is number => v !== null);
	if (scores.length === 0) return { value: null, reason: 'no label was chosen' };
	return { value: scores.reduce((a, b) => a + b, 0) / scores.length };
}

export type LabelScore = {
	label: string;
	/** Units whose truth has the label. */
	support: number;
	precision: Interval;
	recall: Interval;
	f1: Interval;
};

/**
 * A model's labels against the truth (the people's consensus), label by label, and the
 * macro-F1, each with a bootstrap interval over units.
 */
export function classificationReport(
	predictions: readonly Prediction[],
	labels: readonly string[],
	options: BootstrapOptions = {}
): { labels: LabelScore[]; macroF1: Interval } {
	return {
		labels: labels.map((label) => ({
			label,
			support: predictions.filter((p) => p.truth.includes(label)).length,
			precision: bootstrapUnits(predictions, (d) => precisionOf(countsFor(d, label)), options),
			recall: bootstrapUnits(predictions, (d) => recallOf(countsFor(d, label)), options),
			f1: bootstrapUnits(predictions, (d) => f1Of(countsFor(d, label)), options)
		})),
		macroF1: bootstrapUnits(predictions, (d) => macroF1(d, labels), options)
	};
}
