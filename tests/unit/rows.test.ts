import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FIELD_BYTES, normalizeRow, type RowRules } from '$lib/server/import/rows';
import { compileValidator } from '$lib/jsonSchema';

const TEXT_RULES: RowRules = {
	inputKind: 'text',
	outputKind: 'text',
	inputValidator: null,
	outputValidator: null,
	maxFieldBytes: DEFAULT_MAX_FIELD_BYTES
};

const ANSWER_SCHEMA = JSON.stringify({
	type: 'object',
	required: ['answer'],
	properties: { answer: { type: 'string' }, confidence: { type: 'number' } },
	additionalProperties: false
});

const JSON_OUTPUT_RULES: RowRules = {
	inputKind: 'text',
	outputKind: 'json',
	inputValidator: null,
	outputValidator: compileValidator(ANSWER_SCHEMA),
	maxFieldBytes: DEFAULT_MAX_FIELD_BYTES
};

function rowOf(raw: unknown, rules: RowRules = TEXT_RULES) {
	const result = normalizeRow(raw, 7, rules);
	if ('error' in result) throw new Error(`expected a row, got: ${result.error.message}`);
	return result.row;
}

function errorOf(raw: unknown, rules: RowRules = TEXT_RULES) {
	const result = normalizeRow(raw, 7, rules);
	if ('row' in result) throw new Error(`expected an error, got a row for ${result.row.input}`);
	return result.error;
}

describe('normalizeRow: plain rows', () => {
	it('keeps text input and output as given', () => {
		expect(rowOf({ input: '  Hi there ', output: 'Hello!\n' })).toEqual({
			line: 7,
			externalId: null,
			input: '  Hi there ',
			output: 'Hello!\n',
			tags: []
		});
	});

	it('treats a missing, null or empty output as no output yet', () => {
		expect(rowOf({ input: 'q' }).output).toBeNull();
		expect(rowOf({ input: 'q', output: null }).output).toBeNull();
		expect(rowOf({ input: 'q', output: '' }).output).toBeNull();
	});

	it('reads tags from a list or from comma-separated text, trimmed and without repeats', () => {
		expect(rowOf({ input: 'q', tags: ['b', 'a', 'b'] }).tags).toEqual(['b', 'a']);
		expect(rowOf({ input: 'q', tags: ' billing, refunds ,,billing' }).tags).toEqual([
			'billing',
			'refunds'
		]);
		expect(rowOf({ input: 'q', tags: '' }).tags).toEqual([]);
	});

	it('keeps an id as trimmed text, numbers included', () => {
		expect(rowOf({ input: 'q', id: ' ticket-9 ' }).externalId).toBe('ticket-9');
		expect(rowOf({ input: 'q', id: 42 }).externalId).toBe('42');
		expect(rowOf({ input: 'q', id: '   ' }).externalId).toBeNull();
		expect(rowOf({ input: 'q', id: '' }).externalId).toBeNull();
	});

	it('ignores fields it does not know', () => {
		expect(rowOf({ input: 'q', output: 'a', model: 'gpt', score: 3 })).toMatchObject({
			input: 'q',
			output: 'a'
		});
	});
});

describe('normalizeRow: refusals', () => {
	it('refuses a line that is not an object', () => {
		expect(errorOf([1, 2]).message).toBe('each line must be a JSON object, but this is a list');
		expect(errorOf('input').message).toBe('each line must be a JSON object, but this is a string');
		expect(errorOf(null).message).toBe('each line must be a JSON object, but this is null');
	});

	it('refuses a row without input and names the line', () => {
		expect(errorOf({ output: 'a' })).toEqual({
			line: 7,
			message: 'missing "input" (or a "messages" list)'
		});
		expect(errorOf({ input: '' }).message).toBe('missing "input" (or a "messages" list)');
		expect(errorOf({ input: '   ' }).message).toBe('"input" is empty');
	});

	it('refuses non-text content in a text project', () => {
		expect(errorOf({ input: 12 }).message).toBe('"input" must be text, but it is a number');
		expect(errorOf({ input: 'q', output: { a: 1 } }).message).toBe(
			'"output" must be text, but it is an object'
		);
	});

	it('refuses bad tags and ids', () => {
		expect(errorOf({ input: 'q', tags: [1, 2] }).message).toBe(
			'"tags" must be a list of strings or comma-separated text'
		);
		expect(errorOf({ input: 'q', tags: ['x'.repeat(51)] }).message).toMatch(
			/is longer than 50 characters$/
		);
		expect(errorOf({ input: 'q', id: { n: 1 } }).message).toBe(
			'"id" must be text or a number, but it is an object'
		);
		expect(errorOf({ input: 'q', id: 'x'.repeat(201) }).message).toBe(
			'"id" is longer than 200 characters'
		);
	});

	it('reports every problem of a line at once', () => {
		const message = errorOf({ input: 5, output: 6, tags: 7, id: [] }).message;
		expect(message.split('; ')).toEqual([
			'"input" must be text, but it is a number',
			'"output" must be text, but it is a number',
			'"tags" must be a list of strings or comma-separated text',
			'"id" must be text or a number, but it is a list'
		]);
	});
});

describe('normalizeRow: JSON content', () => {
	it('stores JSON output compactly, whether given as a value or as JSON text', () => {
		const fromValue = rowOf(
			{ input: 'q', output: { answer: 'yes', confidence: 0.9 } },
			JSON_OUTPUT_RULES
		);
		const fromText = rowOf(
			{ input: 'q', output: '{ "answer": "yes",\n  "confidence": 0.9 }' },
			JSON_OUTPUT_RULES
		);
		expect(fromValue.output).toBe('{"answer":"yes","confidence":0.9}');
		expect(fromText.output).toBe('{"answer":"yes","confidence":0.9}');
	});

	it('refuses output that fails the schema, saying why', () => {
		const missing = errorOf({ input: 'q', output: { confidence: 1 } }, JSON_OUTPUT_RULES);
		expect(missing.message).toMatch(/^"output" fails the project's schema: /);
		expect(missing.message).toContain("must have required property 'answer'");
		const wrongType = errorOf({ input: 'q', output: { answer: 3 } }, JSON_OUTPUT_RULES);
		expect(wrongType.message).toContain('/answer must be string');
	});

	it('refuses output that is not JSON at all', () => {
		expect(errorOf({ input: 'q', output: 'yes' }, JSON_OUTPUT_RULES).message).toBe(
			'"output" must be JSON for this project, but it is not valid JSON'
		);
	});

	it('accepts any JSON value when the project has no schema', () => {
		const rules: RowRules = { ...TEXT_RULES, inputKind: 'json', outputKind: 'json' };
		expect(rowOf({ input: 3, output: [true, null] }, rules)).toMatchObject({
			input: '3',
			output: '[true,null]'
		});
		expect(rowOf({ input: '{"a": [1, 2]}' }, rules).input).toBe('{"a":[1,2]}');
	});

	it('checks JSON input against the input schema', () => {
		const rules: RowRules = {
			...TEXT_RULES,
			inputKind: 'json',
			inputValidator: compileValidator('{"type":"object","required":["question"]}')
		};
		expect(rowOf({ input: { question: 'why?' } }, rules).input).toBe('{"question":"why?"}');
		expect(errorOf({ input: { q: 'why?' } }, rules).message).toMatch(
			/^"input" fails the project's schema: .*question/
		);
	});
});

describe('normalizeRow: OpenAI chat rows', () => {
	const system = { role: 'system', content: 'You are terse.' };

	it('takes the last user turn as input and the final assistant turn as output', () => {
		const row = rowOf({
			messages: [
				system,
				{ role: 'user', content: 'First question' },
				{ role: 'assistant', content: 'First answer' },
				{ role: 'user', content: 'Second question' },
				{ role: 'assistant', content: 'Second answer' }
			],
			tags: ['chat']
		});
		expect(row).toMatchObject({
			input: 'Second question',
			output: 'Second answer',
			tags: ['chat']
		});
	});

	it('joins the text parts of array content and skips the others', () => {
		const row = rowOf({
			messages: [
				system,
				{
					role: 'user',
					content: [
						{ type: 'text', text: 'Describe' },
						{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
						{ type: 'text', text: 'briefly.' }
					]
				},
				{ role: 'assistant', content: [{ type: 'text', text: 'A cat.' }] }
			]
		});
		expect(row.input).toBe('Describe\nbriefly.');
		expect(row.output).toBe('A cat.');
	});

	it('has no output when the conversation does not end with the assistant', () => {
		const row = rowOf({
			messages: [system, { role: 'user', content: 'Hello?' }]
		});
		expect(row).toMatchObject({ input: 'Hello?', output: null });
	});

	it('prefers an explicit input over messages', () => {
		const row = rowOf({ input: 'Explicit', messages: [{ role: 'user', content: 'Ignored' }] });
		expect(row.input).toBe('Explicit');
	});

	it('refuses conversations it cannot use', () => {
		expect(errorOf({ messages: [] }).message).toBe('"messages" must be a non-empty list');
		expect(errorOf({ messages: 'hi' }).message).toBe('"messages" must be a non-empty list');
		expect(errorOf({ messages: [system, { content: 'no role' }] }).message).toBe(
			'messages[1] needs a "role"'
		);
		expect(
			errorOf({ messages: [system, { role: 'assistant', content: 'Unprompted' }] }).message
		).toBe('"messages" has no user turn to use as the input');
		expect(
			errorOf({ messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }).message
		).toBe('the user turn has no text content');
		expect(
			errorOf({
				messages: [
					{ role: 'user', content: 'q' },
					{ role: 'assistant', content: null }
				]
			}).message
		).toBe('the last assistant turn has no text content');
	});
});
