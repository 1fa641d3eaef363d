import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { buildSystemPrompt, parseOutput, parsePairs, type Prompt } from '$lib/server/jobs/prompt';
import { splitIntoPassages } from '$lib/server/jobs/documents';
import { closeFor, freshBudget, settle, take } from '$lib/server/jobs/rateLimit';
import { classifyFailure } from '$lib/server/providers/errors';
import { decryptSecret, encryptSecret, loadSecretKey, secretKeyFrom } from '$lib/server/secrets';
import { compileValidator } from '$lib/jsonSchema';
import { jobSettingsSchema, JOB_SETTING_DEFAULTS } from '$lib/schemas/job';
import { providerSchema } from '$lib/schemas/provider';

describe('the teacher’s system prompt', () => {
	const task = {
		id: 1,
		instruction: 'Answer the customer.',
		outputKind: 'text' as const,
		outputSchema: null,
		labelSet: null
	};

	it('states the instruction and each requirement', () => {
		const prompt = buildSystemPrompt(
			task,
			[
				{ name: 'Polite', description: 'no blame' },
				{ name: 'Short', description: '' }
			],
			{ reasoning: false }
		);
		expect(prompt).toBe(
			'Answer the customer.\n\nThe output must meet these requirements:\n- Polite: no blame\n- Short'
		);
	});

	it('asks for reasoning in tags for text, and in a field for JSON', () => {
		expect(buildSystemPrompt(task, [], { reasoning: true })).toContain('<reasoning>');
		expect(buildSystemPrompt({ ...task, outputKind: 'json' }, [], { reasoning: true })).toContain(
			'"reasoning"'
		);
	});
});

function promptFor(overrides: Partial<Prompt>): Prompt {
	return {
		mode: 'answer',
		system: '',
		examples: [],
		responseFormat: undefined,
		wrapped: false,
		reasoning: false,
		outputKind: 'text',
		validate: null,
		...overrides
	};
}

describe('reading the model’s answer', () => {
	it('splits tagged reasoning from a text output', () => {
		const parsed = parseOutput(
			promptFor({ reasoning: true }),
			'<think>First, the policy.</think>\nYou can return it.'
		);
		expect(parsed).toEqual({
			output: 'You can return it.',
			reasoning: 'First, the policy.',
			schemaValid: null,
			schemaErrors: null
		});
	});

	it('keeps a model’s unasked thoughts apart from its text or JSON answer', () => {
		const text = parseOutput(promptFor({}), '<think>\nThe policy says 60 days.\n</think>\n\nYes.');
		expect(text).toMatchObject({ output: 'Yes.', reasoning: 'The policy says 60 days.' });
		const json = parseOutput(
			promptFor({ outputKind: 'json' }),
			'<think>It is yes.</think>{"answer": "yes"}'
		);
		expect(json).toMatchObject({ output: '{"answer":"yes"}', reasoning: 'It is yes.' });
		expect(json.schemaErrors).toBeNull();
	});

	it('unwraps JSON reasoning and checks the output against the schema', () => {
		const validate = compileValidator(
			JSON.stringify({
				type: 'object',
				required: ['answer'],
				properties: { answer: { type: 'string' } }
			})
		);
		const prompt = promptFor({ reasoning: true, wrapped: true, outputKind: 'json', validate });
		expect(parseOutput(prompt, '{"reasoning":"because","output":{"answer":"yes"}}')).toEqual({
			output: '{"answer":"yes"}',
			reasoning: 'because',
			schemaValid: true,
			schemaErrors: null
		});
		const off = parseOutput(prompt, '{"reasoning":"hm","output":{"reply":"yes"}}');
		expect(off.schemaValid).toBe(false);
		expect(off.schemaErrors).toContain("must have required property 'answer'");
	});

	it('keeps broken JSON as it came, marked invalid', () => {
		const parsed = parseOutput(promptFor({ outputKind: 'json' }), '{"answer": ');
		expect(parsed.output).toBe('{"answer":');
		expect(parsed.schemaValid).toBe(false);
		expect(parsed.schemaErrors).toMatch(/^not valid JSON: /);
	});

	it('takes a reasoning model’s separate reasoning field', () => {
		expect(parseOutput(promptFor({}), 'Yes.', ' thought about it ').reasoning).toBe(
			'thought about it'
		);
	});
});

describe('provider budgets', () => {
	it('spaces requests to the requests-per-minute limit', () => {
		const budget = freshBudget(0);
		const other = freshBudget(0);
		const limits = { requestsPerMinute: 2, tokensPerMinute: null };
		expect(take(budget, limits, 10, 0)).toBe(0);
		expect(take(budget, limits, 10, 0)).toBe(0);
		// Two a minute: the next one refills after 30 s.
		expect(take(budget, limits, 10, 0)).toBe(30_000);
		expect(take(budget, limits, 10, 29_999)).toBe(1);
		expect(take(budget, limits, 10, 30_000)).toBe(0);
		// Another provider has its own budget.
		expect(take(other, limits, 10, 0)).toBe(0);
	});

	it('counts tokens, corrected by what the call really used', () => {
		const budget = freshBudget(0);
		const limits = { requestsPerMinute: null, tokensPerMinute: 1000 };
		expect(take(budget, limits, 600, 0)).toBe(0);
		expect(take(budget, limits, 600, 0)).toBe(12_000);
		settle(budget, 600, 100);
		expect(take(budget, limits, 600, 0)).toBe(0);
	});

	it('waits out a Retry-After before sending anything to that provider', () => {
		const budget = freshBudget(0);
		const none = { requestsPerMinute: null, tokensPerMinute: null };
		closeFor(budget, 2000, 0);
		expect(take(budget, none, 1, 500)).toBe(1500);
		expect(take(budget, none, 1, 2000)).toBe(0);
	});

	it('starts a changed limit full at its new size', () => {
		const budget = freshBudget(0);
		expect(take(budget, { requestsPerMinute: 1, tokensPerMinute: null }, 1, 0)).toBe(0);
		expect(take(budget, { requestsPerMinute: 1, tokensPerMinute: null }, 1, 0)).toBe(60_000);
		expect(take(budget, { requestsPerMinute: 60, tokensPerMinute: null }, 1, 0)).toBe(0);
	});
});

describe('what a failed call means', () => {
	const headers = (values: Record<string, string>) => new Headers(values);
	const apiError = (status: number, h: Record<string, string> = {}) =>
		OpenAI.APIError.generate(status, { error: { message: 'nope' } }, undefined, headers(h));

	it('retries 429 honouring Retry-After, and 5xx', () => {
		expect(classifyFailure(apiError(429, { 'retry-after': '3' }), 'u')).toMatchObject({
			kind: 'retry',
			retryAfterMs: 3000
		});
		expect(classifyFailure(apiError(429, { 'retry-after-ms': '250' }), 'u').retryAfterMs).toBe(250);
		expect(classifyFailure(apiError(503), 'u')).toMatchObject({
			kind: 'retry',
			retryAfterMs: null
		});
		expect(classifyFailure(new OpenAI.APIConnectionTimeoutError(), 'u').kind).toBe('retry');
	});

	it('stops the job on a refused key or an unknown model, fails the item otherwise', () => {
		expect(classifyFailure(apiError(401), 'u')).toMatchObject({
			kind: 'job',
			message: 'The provider refused the API key (401): nope'
		});
		expect(classifyFailure(apiError(404), 'u').kind).toBe('job');
		expect(classifyFailure(apiError(400), 'u')).toMatchObject({
			kind: 'item',
			message: 'The provider refused the request (400): nope'
		});
	});
});

describe('keys at rest', () => {
	it('round-trips, and another secret or a changed byte opens nothing', () => {
		const key = secretKeyFrom('one secret of enough length');
		const sealed = encryptSecret(key, 'sk-live-123');
		expect(sealed).not.toContain('sk-live');
		expect(decryptSecret(key, sealed)).toBe('sk-live-123');
		expect(decryptSecret(secretKeyFrom('another secret entirely'), sealed)).toBeNull();
		const body = Buffer.from(sealed.slice(3), 'base64');
		body[body.length - 1] ^= 1;
		expect(decryptSecret(key, `v1:${body.toString('base64')}`)).toBeNull();
	});

	it('generates a secret file readable by its owner only, and reuses it', () => {
		const dir = mkdtempSync(join(tmpdir(), 'winnow-secret-'));
		try {
			const file = join(dir, 'data', 'secret.key');
			const first = loadSecretKey(undefined, file);
			expect(statSync(file).mode & 0o777).toBe(0o600);
			expect(readFileSync(file, 'utf8').length).toBeGreaterThan(40);
			expect(loadSecretKey(undefined, file).equals(first)).toBe(true);
			expect(loadSecretKey('from the environment', file).equals(first)).toBe(false);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('the forms', () => {
	it('reads the job settings, with every bad field named', () => {
		expect(jobSettingsSchema.parse(JOB_SETTING_DEFAULTS)).toMatchObject({
			temperature: 0.7,
			maxTokens: null,
			reasoning: false,
			concurrency: 8
		});
		const bad = jobSettingsSchema.safeParse({
			...JOB_SETTING_DEFAULTS,
			temperature: '3',
			maxTokens: 'lots',
			concurrency: '0'
		});
		expect(Object.keys(bad.error!.flatten().fieldErrors).sort()).toEqual([
			'concurrency',
			'maxTokens',
			'temperature'
		]);
	});

	it('takes a provider’s base URL without its trailing slash, and refuses a non-URL', () => {
		const base = { name: 'Local', apiKey: '', requestsPerMinute: '', tokensPerMinute: '600000' };
		expect(providerSchema.parse({ ...base, baseUrl: 'http://localhost:11434/v1/' })).toMatchObject({
			baseUrl: 'http://localhost:11434/v1',
			requestsPerMinute: null,
			tokensPerMinute: 600000
		});
		expect(providerSchema.safeParse({ ...base, baseUrl: 'localhost' }).success).toBe(false);
	});
});

describe('documents into passages', () => {
	it('starts a passage at each heading and packs paragraphs up to the limit', () => {
		const text = [
			'# Returns',
			'You may return any item within 60 days.',
			'Refunds take five working days.',
			'## Damaged items',
			'Send a photo of the damage.'
		].join('\n\n');
		expect(splitIntoPassages(text, 'policy.md').map((p) => p.text)).toEqual([
			'# Returns\n\nYou may return any item within 60 days.\n\nRefunds take five working days.',
			'## Damaged items\n\nSend a photo of the damage.'
		]);
		const long = splitIntoPassages(text, 'policy.md', 60);
		expect(long.every((p) => p.text.length <= 60)).toBe(true);
		expect(long.map((p) => p.text).join(' ')).toContain('Refunds take five working days.');
	});

	it('cuts a paragraph longer than a passage at sentence ends', () => {
		const paragraph = 'One short sentence. '.repeat(20).trim();
		const passages = splitIntoPassages(paragraph, 'a.txt', 100);
		expect(passages.length).toBeGreaterThan(3);
		expect(passages.every((p) => p.text.length <= 100 && p.text.endsWith('.'))).toBe(true);
		expect(passages.map((p) => p.document)).toEqual(passages.map(() => 'a.txt'));
	});
});

describe('pairs proposed from a passage', () => {
	const prompt = promptFor({ mode: 'pairs', pairsPerPassage: 2 });

	it('keeps up to the asked number of usable pairs', () => {
		const result = parsePairs(
			prompt,
			JSON.stringify({
				pairs: [
					{ input: 'How long do refunds take?', output: 'Five working days.' },
					{ input: '  ', output: 'no input' },
					{ input: 'Can I return shoes?', output: 'Within 60 days.' },
					{ input: 'A third one', output: 'over the limit' }
				]
			})
		);
		expect(result).toEqual({
			pairs: [
				{
					input: 'How long do refunds take?',
					output: 'Five working days.',
					reasoning: null,
					schemaValid: null,
					schemaErrors: null
				},
				{
					input: 'Can I return shoes?',
					output: 'Within 60 days.',
					reasoning: null,
					schemaValid: null,
					schemaErrors: null
				}
			]
		});
	});

	it('says why when there is nothing to use', () => {
		expect(parsePairs(prompt, 'not json')).toMatchObject({
			error: expect.stringMatching(/^The model's pairs are not valid JSON/)
		});
		expect(parsePairs(prompt, '{"pairs": []}')).toEqual({
			error: 'The model proposed no usable pair.'
		});
	});
});
