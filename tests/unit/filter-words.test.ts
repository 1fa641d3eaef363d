import { describe, expect, it } from 'vitest';
import { datasetFilterSchema, filterInWords } from '$lib/schemas/dataset';

const fiveStars = { ratingScale: 'five_star' as const, threshold: 4 };

describe('filterInWords', () => {
	it("says the default filter: the project's threshold, any source but evaluation runs", () => {
		expect(filterInWords(datasetFilterSchema.parse({}), fiveStars)).toBe(
			'Accepted examples rated 4 stars or more (the project’s threshold), from any source but evaluation runs. An exact repeat of an input and output is taken once.'
		);
	});

	it('says every field that is set, in the order a person would', () => {
		const filter = datasetFilterSchema.parse({
			threshold: '5',
			tags: 'billing, orders, returns',
			sources: ['distillation', 'student_repair'],
			from: '2026-01-01',
			to: '2026-02-01',
			minReviews: '2',
			repairedOnly: 'on',
			includeInvalid: 'on',
			labelCap: '50'
		});
		expect(filterInWords(filter, { ...fiveStars, labelCaps: true })).toBe(
			'Accepted examples rated 5 stars or more, from distillation or student repair, tagged billing, orders or returns, added from 2026-01-01 to 2026-02-01, with at least 2 reviews, repaired by a person, including outputs that do not fit the schema; at most 50 of each label in each split. An exact repeat of an input and output is taken once.'
		);
	});

	it('leaves out a label cap where the labels are not single-choice, as the freeze does', () => {
		const filter = datasetFilterSchema.parse({ labelCap: '50' });
		expect(filterInWords(filter, fiveStars)).not.toContain('label');
	});

	it('reads a pass/fail threshold by its label, and a dataset frozen before a field existed', () => {
		expect(filterInWords({ to: '2026-03-01' }, { ratingScale: 'pass_fail', threshold: 1 })).toBe(
			'Accepted examples rated Pass (the project’s threshold), from any source but evaluation runs, added on or before 2026-03-01. An exact repeat of an input and output is taken once.'
		);
		expect(
			filterInWords({ minReviews: 1 }, { ratingScale: 'pass_fail_critical', threshold: 1 })
		).toBe(
			'Accepted examples rated Fail or better (the project’s threshold), from any source but evaluation runs, with at least 1 review. An exact repeat of an input and output is taken once.'
		);
	});
});
