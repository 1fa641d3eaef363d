import { describe, expect, it } from 'vitest';
import {
	LABEL_KEYS,
	labelLines,
	labelOutputSchema,
	labelsAnswer,
	parseLabelLines,
	readLabels
} from '$lib/schemas/labels';
import { compileValidator } from '$lib/jsonSchema';

const LINES = 'billing | b | Invoices and payments | Money\nrefund | d | | Money\nshipping | h';

describe('label sets', () => {
	it('read one label a line, and give the same lines back', () => {
		const read = parseLabelLines(LINES, false);
		if (!read.ok) throw new Error(read.errors.join('; '));
		expect(read.set.labels).toEqual([
			{ name: 'billing', key: 'b', description: 'Invoices and payments', group: 'Money' },
			{ name: 'refund', key: 'd', description: '', group: 'Money' },
			{ name: 'shipping', key: 'h', description: '', group: '' }
		]);
		expect(parseLabelLines(labelLines(read.set), false)).toEqual(read);
	});

	it('refuse a bad set line by line', () => {
		const read = parseLabelLines('billing | b\nBilling | x\n\nother | e\nlate, lost | q', false);
		expect(read).toEqual({
			ok: false,
			errors: [
				'Line 2: Two labels are named “Billing”.',
				`Line 4: A key is one of the letters ${LABEL_KEYS.join(' ').toUpperCase()} (the others are the review screen’s), or none.`,
				'Line 5: A label name cannot hold a comma.'
			]
		});
		expect(parseLabelLines('only', false)).toEqual({
			ok: false,
			errors: ['A label set needs at least two labels.']
		});
		expect(parseLabelLines('a | b\nc | b', true)).toMatchObject({
			ok: false,
			errors: ['Line 2: The key B is “a”’s already.']
		});
	});

	it('read an answer as JSON, a list or names, and only labels of the set', () => {
		const single = parseLabelLines(LINES, false);
		const multiple = parseLabelLines(LINES, true);
		if (!single.ok || !multiple.ok) throw new Error('the set was refused');
		expect(readLabels(single.set, '{"labels": ["refund"]}')).toEqual(['refund']);
		expect(readLabels(single.set, ' Refund ')).toEqual(['refund']);
		expect(readLabels(single.set, 'billing, refund')).toBeNull();
		expect(readLabels(multiple.set, 'shipping, billing')).toEqual(['billing', 'shipping']);
		expect(readLabels(multiple.set, '["shipping", "shipping"]')).toEqual(['shipping']);
		expect(readLabels(multiple.set, 'weather')).toBeNull();
		expect(readLabels(multiple.set, 'null')).toBeNull();
		expect(labelsAnswer(['billing', 'shipping'])).toBe('billing, shipping');
	});

	it('give a schema that holds the teacher to the set', () => {
		const read = parseLabelLines(LINES, false);
		if (!read.ok) throw new Error('the set was refused');
		const check = compileValidator(JSON.stringify(labelOutputSchema(read.set)))!;
		expect(check({ labels: ['billing'] })).toBeNull();
		expect(check({ labels: ['billing', 'refund'] })).not.toBeNull();
		expect(check({ labels: ['weather'] })).not.toBeNull();
		expect(check({ labels: [] })).not.toBeNull();
	});
});
