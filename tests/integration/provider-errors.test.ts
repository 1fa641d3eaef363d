import { afterEach, describe, expect, it } from 'vitest';
import { testConnection } from '$lib/server/providers';
import { describeProviderError } from '$lib/server/providers/errors';
import { redactKey } from '$lib/server/providers/redact';
import { togetherAdapter } from '$lib/server/finetune/together';
import { JobRunner } from '$lib/server/jobs/runner';
import { makeProject, makeUser } from '../support/fixtures';
import { jobReaches, jobRow, standinProvider, startJob, TEST_SECRET } from '../support/jobs';
import { startStandin, type Standin } from '../support/standin';
import { testDb } from '../support/database';

// A provider that refuses a key may quote it back, whole or masked; what it says reaches pages,
// jobs and fine-tunes, so the key must not come with it.

const RIGHT_KEY = 'sk-right-key-000000000000000000000';
const STORED_KEY = 'sk-stored-Wq81xLmP0rT5vB3nK7zQJ';

let standin: Standin | undefined;
let runner: JobRunner | undefined;
afterEach(async () => {
	await runner?.stop();
	await standin?.close();
	runner = standin = undefined;
});

/** No trace of the stored key: not whole, not the prefix and suffix a masked quote shows. */
function expectNoKey(message: string) {
	expect(message).not.toContain(STORED_KEY);
	expect(message).not.toContain(STORED_KEY.slice(0, 5));
	expect(message).not.toContain(STORED_KEY.slice(-3));
	expect(message).toContain('[redacted]');
}

async function setup() {
	standin = await startStandin({ apiKey: RIGHT_KEY, echoKey: true });
	const db = await testDb();
	const { providerId, modelId } = await standinProvider(db, standin.url, STORED_KEY);
	return { db, providerId, modelId, standin };
}

describe('a provider that quotes the key back', () => {
	it('is reported by the connection test without the key', async () => {
		const { db, providerId } = await setup();
		const result = await testConnection(db, TEST_SECRET, providerId);
		expect(result.ok).toBe(false);
		if (result.ok) return;
		expect(result.message).toMatch(/refused the API key \(401\)/);
		expectNoKey(result.message);
	});

	it('is a job error without the key', async () => {
		const { db, modelId } = await setup();
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id);
		runner = new JobRunner(db, { key: TEST_SECRET, pollMs: 20 });
		await runner.start();
		const jobId = await startJob(db, target, admin.id, [modelId], ['a question']);
		runner.wake();
		await jobReaches(db, jobId, ['failed']);
		const error = (await jobRow(db, jobId)).error ?? '';
		expect(error).toMatch(/401/);
		expectNoKey(error);
	});

	it('is a fine-tune error without the key, from a request made without a client', async () => {
		const { standin } = await setup();
		const upload = togetherAdapter(STORED_KEY, standin.url).upload('train.jsonl', ['{}\n']);
		const error = await upload.catch((e: unknown) => e);
		const message = describeProviderError(error, standin.url);
		expect(message).toMatch(/401/);
		expectNoKey(message);
	});
});

describe('redactKey', () => {
	const key = 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123';
	it.each([
		[`Bearer ${key} is wrong`, 'Bearer [redacted] is wrong'],
		[
			`Incorrect API key provided: sk-pro**********************0123.`,
			'Incorrect API key provided: [redacted].'
		],
		[`key sk-proj-AbC...0123 refused`, 'key [redacted] refused'],
		[`key sk-proj-A… refused`, 'key [redacted] refused'],
		[`key …Yz0123 refused`, 'key [redacted] refused'],
		// A quote cut short, as a message trimmed to its first 300 characters would be.
		[`the key ${key.slice(0, 20)}`, 'the key [redacted]']
	])('%s', (text, redacted) => {
		expect(redactKey(text, key)).toBe(redacted);
	});

	it('leaves words that merely share a few letters with the key, and masks of other keys', () => {
		const text = 'The project sk-other***zzzz was refused: proj 0123 sk-';
		expect(redactKey(text, key)).toBe(text);
	});

	it('leaves text alone when there is no key, or one too short to be a secret', () => {
		expect(redactKey('a local server', 'local')).toBe('a local server');
		expect(redactKey('anything', null)).toBe('anything');
	});
});
