import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
	applyRequirementIntent,
	DEFAULT_PROJECT_VALUES,
	projectSchema,
	type ProjectFormValues
} from '$lib/schemas/project';
import { checkJsonSchema } from '$lib/jsonSchema';

/** What a submitted form gives: every field as text. */
function formValues(overrides: Partial<ProjectFormValues> = {}): ProjectFormValues {
	return { ...DEFAULT_PROJECT_VALUES, name: 'Triage', ...overrides };
}

function fieldErrors(values: unknown) {
	const parsed = projectSchema.safeParse(values);
	if (parsed.success) throw new Error('expected the values to be refused');
	return z.flattenError(parsed.error).fieldErrors as Record<string, string[] | undefined>;
}

describe('projectSchema', () => {
	it('accepts form text and gives back typed values', () => {
		const parsed = projectSchema.parse(
			formValues({
				name: '  Triage  ',
				threshold: '3',
				reviewsRequired: '2',
				splitTrain: '70',
				splitVal: '15',
				splitTest: '15',
				requirements: [
					{ id: '4', name: ' Polite ', description: '' },
					{ id: undefined, name: 'Correct', description: ' Facts check out. ' }
				]
			})
		);
		expect(parsed).toMatchObject({
			name: 'Triage',
			threshold: 3,
			reviewsRequired: 2,
			splitTrain: 70,
			splitVal: 15,
			splitTest: 15,
			requirements: [
				{ id: 4, name: 'Polite', description: '' },
				{ id: undefined, name: 'Correct', description: 'Facts check out.' }
			]
		});
	});

	it('needs a name', () => {
		expect(fieldErrors(formValues({ name: '   ' })).name).toEqual(['Give the project a name.']);
	});

	it('needs splits that add up to 100 and some share for training', () => {
		expect(fieldErrors(formValues({ splitTrain: '80', splitVal: '15' })).splitTrain).toEqual([
			'The splits add up to 105%; they must add up to 100%.'
		]);
		expect(
			fieldErrors(formValues({ splitTrain: '0', splitVal: '50', splitTest: '50' })).splitTrain
		).toEqual(['Keep some share for training.']);
	});

	it('keeps the threshold and the review count in range', () => {
		expect(fieldErrors(formValues({ threshold: '6' })).threshold).toEqual([
			'The threshold is between 1 and 5 stars.'
		]);
		expect(fieldErrors(formValues({ threshold: '2.5' })).threshold).toEqual([
			'Give a whole number of stars.'
		]);
		expect(fieldErrors(formValues({ reviewsRequired: '0' })).reviewsRequired).toEqual([
			'At least one review is needed per example.'
		]);
	});

	it('refuses unknown choices', () => {
		const errors = fieldErrors(formValues({ ratingScale: 'ten_star', inputKind: 'xml' }));
		expect(errors.ratingScale).toEqual(['Choose a rating scale.']);
		expect(errors.inputKind).toEqual(['Choose text, JSON or a conversation.']);
	});

	it('pairs a conversation input with the next assistant turn as output, and only that', () => {
		expect(fieldErrors(formValues({ inputKind: 'conversation' })).outputKind).toEqual([
			'A conversation’s output is its next assistant turn.'
		]);
		expect(fieldErrors(formValues({ outputKind: 'turn' })).outputKind).toEqual([
			'The next assistant turn needs a conversation as input.'
		]);
		const parsed = projectSchema.safeParse(
			formValues({ inputKind: 'conversation', outputKind: 'turn', conversationTurns: 'each' })
		);
		expect(parsed.success && parsed.data.conversationTurns).toBe('each');
	});

	it('refuses two requirements with the same name, whatever the case', () => {
		const parsed = projectSchema.safeParse(
			formValues({
				requirements: [
					{ id: undefined, name: 'Tone', description: '' },
					{ id: undefined, name: 'Accuracy', description: '' },
					{ id: undefined, name: 'tone', description: '' }
				]
			})
		);
		expect(parsed.success).toBe(false);
		expect(parsed.error?.issues.map((issue) => [issue.path, issue.message])).toEqual([
			[['requirements', 2, 'name'], 'Two requirements have this name.']
		]);
	});

	it('allows a schema only for JSON content, and only a JSON object as schema', () => {
		expect(
			fieldErrors(formValues({ outputKind: 'text', outputSchema: '{"type":"object"}' }))
				.outputSchema
		).toEqual(['A schema needs JSON output.']);
		expect(
			fieldErrors(formValues({ outputKind: 'json', outputSchema: '[1]' })).outputSchema
		).toEqual([
			'This is not a JSON object. A JSON Schema is an object such as {"type": "object"}.'
		]);
		expect(
			fieldErrors(formValues({ inputKind: 'json', inputSchema: '{"type": ' })).inputSchema
		).toHaveLength(1);
		const parsed = projectSchema.parse(
			formValues({ outputKind: 'json', outputSchema: '  {"type":"object"}  ' })
		);
		expect(parsed.outputSchema).toBe('{"type":"object"}');
	});
});

describe('applyRequirementIntent', () => {
	const three = formValues({
		requirements: [
			{ id: '1', name: 'A', description: '' },
			{ id: '2', name: 'B', description: '' },
			{ id: undefined, name: 'C', description: 'new' }
		]
	});
	const names = (values: ProjectFormValues | null) => values?.requirements.map((r) => r.name);

	it('adds an empty requirement at the end', () => {
		const added = applyRequirementIntent(three, 'add');
		expect(added?.requirements).toHaveLength(4);
		expect(added?.requirements[3]).toEqual({ id: undefined, name: '', description: '' });
	});

	it('removes the requirement at the index', () => {
		expect(names(applyRequirementIntent(three, 'remove:1'))).toEqual(['A', 'C']);
	});

	it('moves a requirement up or down', () => {
		expect(names(applyRequirementIntent(three, 'up:1'))).toEqual(['B', 'A', 'C']);
		expect(names(applyRequirementIntent(three, 'down:0'))).toEqual(['B', 'A', 'C']);
		expect(names(applyRequirementIntent(three, 'down:2'))).toEqual(['A', 'B', 'C']);
		expect(names(applyRequirementIntent(three, 'up:0'))).toEqual(['A', 'B', 'C']);
	});

	it('keeps ids with their requirements when moving them', () => {
		const moved = applyRequirementIntent(three, 'up:2');
		expect(moved?.requirements.map((r) => r.id)).toEqual(['1', undefined, '2']);
	});

	it('leaves the submitted values untouched', () => {
		applyRequirementIntent(three, 'remove:0');
		expect(names(three)).toEqual(['A', 'B', 'C']);
	});

	it('leaves the list as it was for a row that is gone, rather than saving', () => {
		expect(names(applyRequirementIntent(three, 'remove:9'))).toEqual(['A', 'B', 'C']);
		expect(names(applyRequirementIntent(three, 'down:9'))).toEqual(['A', 'B', 'C']);
	});

	it('returns null for a plain save', () => {
		expect(applyRequirementIntent(three, '')).toBeNull();
		expect(applyRequirementIntent(three, 'save')).toBeNull();
	});
});

describe('checkJsonSchema', () => {
	it('names invalid JSON', () => {
		expect(checkJsonSchema('{"type": "object",}')).toMatch(/^Not valid JSON: /);
	});

	it('refuses JSON that is not an object', () => {
		expect(checkJsonSchema('[{"type":"string"}]')).toBe('A JSON Schema must be an object.');
		expect(checkJsonSchema('"string"')).toBe('A JSON Schema must be an object.');
		expect(checkJsonSchema('null')).toBe('A JSON Schema must be an object.');
	});

	it('refuses an unknown keyword, which is usually a typo', () => {
		const problem = checkJsonSchema('{"typ": "object"}');
		expect(problem).toMatch(/^Not a valid JSON Schema: /);
		expect(problem).toContain('typ');
	});

	it('refuses a keyword with a value of the wrong kind', () => {
		expect(checkJsonSchema('{"type": "objekt"}')).toMatch(/^Not a valid JSON Schema: /);
	});

	it('accepts a valid schema, formats included', () => {
		expect(
			checkJsonSchema(
				JSON.stringify({
					type: 'object',
					required: ['email'],
					properties: {
						email: { type: 'string', format: 'email' },
						when: { type: 'string', format: 'date-time' }
					}
				})
			)
		).toBeNull();
	});

	it('refuses an unknown format', () => {
		expect(checkJsonSchema('{"type":"string","format":"emial"}')).toMatch(
			/^Not a valid JSON Schema: .*emial/
		);
	});
});
