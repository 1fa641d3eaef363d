import { describe, expect, it } from 'vitest';
import { compileValidator } from '$lib/jsonSchema';

const schema = JSON.stringify({
	type: 'object',
	required: ['verdict'],
	additionalProperties: false,
	properties: {
		verdict: { enum: ['refund', 'replace', 'decline'] },
		version: { const: 2 },
		priority: { enum: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
		note: { type: 'string' }
	}
});

describe('schema errors say what would be valid, and where', () => {
	const check = compileValidator(schema)!;

	it('names the allowed values of an enum', () => {
		expect(check({ verdict: 'maybe' })).toBe(
			'/verdict must be one of "refund", "replace", "decline"'
		);
	});

	it('shows at most eight of a long list, and how many more there are', () => {
		expect(check({ verdict: 'refund', priority: 11 })).toBe(
			'/priority must be one of 1, 2, 3, 4, 5, 6, 7, 8 (and 2 more)'
		);
	});

	it('names the one value a const allows, the type expected, and a property not in the schema', () => {
		expect(check({ verdict: 'refund', version: 1 })).toBe('/version must be 2');
		expect(check({ verdict: 'refund', note: 4 })).toBe('/note must be string');
		expect(check({ verdict: 'refund', colour: 'red' })).toBe(
			"(root) must NOT have additional properties: 'colour' is not in the schema"
		);
	});

	it('lists every problem at once', () => {
		expect(check({ note: 4 })).toBe(
			"(root) must have required property 'verdict'; /note must be string"
		);
	});
});
