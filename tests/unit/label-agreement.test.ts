import { describe, expect, it } from 'vitest';
import {
	classificationReport,
	confusionMatrix,
	labelAgreement,
	type LabelData
} from '$lib/labelAgreement';

const DIAGNOSES = ['depression', 'personality disorder', 'schizophrenia', 'neurosis', 'other'];

// Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
// Bulletin 76(5), 378–382: 30 patients, each diagnosed by 6 of 43 psychiatrists into 5
// categories. The ratings are as the irr package ships them (`data(diagnoses)`), one row per
// patient; the category kappas are Fleiss' (.245, .245, .520, .471, .566), which irr's
// kappam.fleiss(diagnoses, detail = TRUE) prints too.
const FLEISS_1971 = [
	[4, 4, 4, 4, 4, 4],
	[2, 2, 2, 5, 5, 5],
	[2, 3, 3, 3, 3, 5],
	[5, 5, 5, 5, 5, 5],
	[2, 2, 2, 4, 4, 4],
	[1, 1, 3, 3, 3, 3],
	[3, 3, 3, 3, 5, 5],
	[1, 1, 3, 3, 3, 4],
	[1, 1, 4, 4, 4, 4],
	[5, 5, 5, 5, 5, 5],
	[1, 4, 4, 4, 4, 4],
	[1, 2, 4, 4, 4, 4],
	[2, 2, 2, 3, 3, 3],
	[1, 4, 4, 4, 4, 4],
	[2, 2, 4, 4, 4, 5],
	[3, 3, 3, 3, 3, 5],
	[1, 1, 1, 4, 5, 5],
	[1, 1, 1, 1, 1, 2],
	[2, 2, 4, 4, 4, 4],
	[1, 3, 3, 5, 5, 5],
	[5, 5, 5, 5, 5, 5],
	[2, 4, 4, 4, 4, 4],
	[2, 2, 4, 5, 5, 5],
	[1, 1, 4, 4, 4, 4],
	[1, 4, 4, 4, 4, 5],
	[2, 2, 2, 2, 2, 4],
	[1, 1, 1, 1, 5, 5],
	[2, 2, 4, 4, 4, 4],
	[1, 3, 3, 3, 3, 3],
	[5, 5, 5, 5, 5, 5]
];
const asLabels = (rows: number[][], names: string[]): LabelData =>
	rows.map((row) => row.map((category) => [names[category - 1]]));

describe('per-label agreement', () => {
	it('gives Fleiss’ (1971) category kappas, each inside its bootstrap interval', () => {
		const report = labelAgreement(asLabels(FLEISS_1971, DIAGNOSES), DIAGNOSES);
		const kappas = report.map((r) => Number(r.kappa.value!.value.toFixed(3)));
		expect(kappas).toEqual([0.245, 0.245, 0.52, 0.471, 0.566]);
		for (const { kappa, alpha } of report) {
			expect(kappa.value!.lower).toBeLessThan(kappa.value!.value);
			expect(kappa.value!.upper).toBeGreaterThan(kappa.value!.value);
			// Alpha corrects kappa for the sample's size: a little above it, never far.
			expect(alpha.value!.value).toBeGreaterThan(kappa.value!.value);
			expect(alpha.value!.value - kappa.value!.value).toBeLessThan(0.01);
		}
		// The same data seeded the same way gives the same interval.
		expect(labelAgreement(asLabels(FLEISS_1971, DIAGNOSES), DIAGNOSES)).toEqual(report);
	});

	it('gives the category proportions of Wikipedia’s worked example of Fleiss’ kappa', () => {
		// "Fleiss' kappa", Wikipedia, worked example: 10 subjects, 14 raters, 5 categories, with
		// p_j = 0.143, 0.200, 0.279, 0.150, 0.229.
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
		const names = ['1', '2', '3', '4', '5'];
		const units = counts.map((row) =>
			row.flatMap((n, category) => Array.from({ length: n }, () => [names[category]]))
		);
		const shares = labelAgreement(units, names, { replicates: 10 }).map((r) =>
			Number(r.share.toFixed(3))
		);
		expect(shares).toEqual([0.143, 0.2, 0.279, 0.15, 0.229]);
	});

	it('says why a label nobody chose has no kappa', () => {
		const [unused] = labelAgreement(
			[
				[['a'], ['a']],
				[['b'], ['a']]
			],
			['c']
		);
		expect(unused.kappa).toEqual({
			value: null,
			reason: 'every rating has the same value, so chance agreement is 1'
		});
	});
});

describe('confusion matrix', () => {
	it('counts as scikit-learn’s confusion_matrix example does', () => {
		// scikit-learn, sklearn.metrics.confusion_matrix, example: y_true = [2, 0, 2, 2, 0, 1],
		// y_pred = [0, 0, 2, 2, 0, 2] gives [[2, 0, 0], [0, 0, 1], [1, 0, 2]].
		const truth = [2, 0, 2, 2, 0, 1];
		const predicted = [0, 0, 2, 2, 0, 2];
		const pairs = truth.map((t, i) => ({ consensus: String(t), chosen: String(predicted[i]) }));
		expect(confusionMatrix(pairs, ['0', '1', '2'])).toEqual([
			[2, 0, 0],
			[0, 0, 1],
			[1, 0, 2]
		]);
	});
});

describe('classification report', () => {
	it('gives scikit-learn’s classification_report figures, with intervals', () => {
		// scikit-learn, sklearn.metrics.classification_report, example: y_true = [0, 1, 2, 2, 2],
		// y_pred = [0, 0, 2, 2, 1]: class 0 precision 0.50, recall 1.00, F1 0.67; class 1 all 0.00;
		// class 2 precision 1.00, recall 0.67, F1 0.80; macro F1 0.49.
		const truth = [0, 1, 2, 2, 2];
		const predicted = [0, 0, 2, 2, 1];
		const report = classificationReport(
			truth.map((t, i) => ({ truth: [String(t)], predicted: [String(predicted[i])] })),
			['0', '1', '2']
		);
		const round = (n: number | undefined) => Number(n!.toFixed(2));
		expect(
			report.labels.map((l) => [
				round(l.precision.value?.value),
				round(l.recall.value?.value),
				round(l.f1.value?.value),
				l.support
			])
		).toEqual([
			[0.5, 1, 0.67, 1],
			[0, 0, 0, 1],
			[1, 0.67, 0.8, 3]
		]);
		expect(round(report.macroF1.value?.value)).toBe(0.49);
		expect(report.macroF1.value!.lower).toBeLessThanOrEqual(0.49);
		expect(report.macroF1.value!.upper).toBeGreaterThanOrEqual(0.49);
	});

	it('scores multiple-choice labels one by one', () => {
		const report = classificationReport(
			[
				{ truth: ['billing', 'urgent'], predicted: ['billing'] },
				{ truth: ['urgent'], predicted: ['urgent', 'billing'] }
			],
			['billing', 'urgent'],
			{ replicates: 20 }
		);
		expect(report.labels.map((l) => [l.precision.value?.value, l.recall.value?.value])).toEqual([
			[0.5, 1],
			[1, 0.5]
		]);
	});
});
