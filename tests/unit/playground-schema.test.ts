import { describe, expect, it } from 'vitest';
import { fieldErrors } from '$lib/schemas/forms';
import { PLAYGROUND_DEFAULTS, playgroundSchema } from '$lib/schemas/playground';

const TEXT_INPUTS = playgroundSchema({ inputKind: 'text', inputSchema: null });
const JSON_INPUTS = playgroundSchema({ inputKind: 'json', inputSchema: null });

/** What a submitted form gives: every field as text, the models as a list. */
const formValues = (changes: Record<string, unknown> = {}) => ({
	...PLAYGROUND_DEFAULTS,
	modelIds: ['3'],
	input: 'Where is my parcel?',
	...changes
});

function errorsOf(schema: typeof TEXT_INPUTS, changes: Record<string, unknown>) {
	const parsed = schema.safeParse(formValues(changes));
	if (parsed.success) throw new Error('expected the values to be refused');
	return fieldErrors(parsed.error);
}

describe('playgroundSchema', () => {
	it('starts from the jobs’ sampling defaults and gives back typed settings', () => {
		expect(TEXT_INPUTS.parse(formValues())).toEqual({
			modelIds: [3],
			input: 'Where is my parcel?',
			temperature: 0.7,
			maxTokens: null,
			fewShot: 0,
			reasoning: false
		});
		expect(
			TEXT_INPUTS.parse(
				formValues({ temperature: '', maxTokens: '300', fewShot: '2', reasoning: 'on' })
			)
		).toMatchObject({ temperature: null, maxTokens: 300, fewShot: 2, reasoning: true });
		expect(TEXT_INPUTS.parse(formValues({ modelIds: ['3', '5', '3'] })).modelIds).toEqual([3, 5]);
	});

	it('keeps a text input’s inner lines, with browser line endings made plain and blanks trimmed', () => {
		expect(TEXT_INPUTS.parse(formValues({ input: '\r\n  first line\r\nsecond  \r\n' })).input).toBe(
			'first line\nsecond'
		);
	});

	it('takes any JSON value for a JSON project without an input schema, sent compact', () => {
		expect(JSON_INPUTS.parse(formValues({ input: '[1, 2,\n 3]' })).input).toBe('[1,2,3]');
		expect(JSON_INPUTS.parse(formValues({ input: '"plain"' })).input).toBe('"plain"');
		expect(errorsOf(JSON_INPUTS, { input: 'Where is my parcel?' }).input[0]).toMatch(
			/^This project’s inputs are JSON, and this is not valid JSON/
		);
	});

	it('refuses an empty or overlong input and a temperature outside 0–2', () => {
		expect(errorsOf(TEXT_INPUTS, { input: '' })).toEqual({ input: ['Type an input to try.'] });
		expect(errorsOf(TEXT_INPUTS, { input: 'x'.repeat(100_001) })).toEqual({
			input: ['Keep the input under 100,000 characters.']
		});
		for (const temperature of ['-0.1', '2.01', 'warm']) {
			expect(errorsOf(TEXT_INPUTS, { temperature }).temperature).toEqual([
				'Give the temperature from 0 to 2, or leave it empty for the model’s default.'
			]);
		}
		expect(Object.keys(errorsOf(TEXT_INPUTS, { fewShot: '21', maxTokens: '1.5' })).sort()).toEqual([
			'fewShot',
			'maxTokens'
		]);
	});
});
