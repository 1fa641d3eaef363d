// The whole loop driven only over HTTP with tokens, by the README's example script and its
// typed client: no page is loaded. The provider, an admin's set-up with its key, is the one
// thing made beforehand, as an admin would on the Providers page.
import { expect, test } from '@playwright/test';
import { runLoop } from '../../scripts/api-loop';
import { createProvider } from '../../src/lib/server/providers';
import { BASE_URL, e2eDb, e2eSecretKey, ensureUser } from '../support/e2e';
import { startStandin, type Standin } from '../support/standin';

let standin: Standin;
test.beforeAll(async () => {
	standin = await startStandin({ latencyMs: 5, fineTuneSeconds: 1.2, apiKey: 'sk-api-loop' });
});
test.afterAll(async () => {
	await standin.close();
});

test('a pipeline runs the whole loop over the API: people, project, reviews, dispute, agreement, dataset, fine-tune, evaluation', async () => {
	test.setTimeout(120_000);
	const admin = await ensureUser('loop-api-admin', 'admin');
	const provider = await createProvider(e2eDb(), e2eSecretKey(), {
		name: `Loop stand-in ${Date.now()}`,
		baseUrl: standin.url,
		apiKey: 'sk-api-loop',
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	const lines: string[] = [];

	const loop = await runLoop({
		origin: BASE_URL,
		admin: { username: admin.username, password: 'correct-horse-battery' },
		providerId: provider.id,
		baseModel: 'base-small',
		log: (line) => lines.push(line),
		patienceMs: 60_000
	});

	expect(loop.imported).toMatchObject({ imported: 30 });
	// Two reviews required: each annotator reviewed every example, through claim and submit.
	expect(loop.reviews).toEqual([30, 30]);
	expect(loop.disputes.total).toBe(1);
	expect(loop.agreement.reviews).toBe(60);
	expect(loop.agreement.units).toBe(30);
	expect(loop.agreement.percentExact).toEqual({ value: 29 / 30 });
	// The dispute resolved as accepted, every example clears the threshold.
	const { train, val, test: heldOut } = loop.dataset.counts;
	expect(train + val + heldOut).toBe(30);
	expect(val).toBe(0);
	const trainingLines = loop.trainingFile.trim().split('\n');
	expect(trainingLines).toHaveLength(train);
	expect(JSON.parse(trainingLines[0]).messages.at(-1)).toMatchObject({ role: 'assistant' });
	expect(standin.uploads.some((u) => u.filename.includes('-train'))).toBe(true);
	expect(loop.tuned.resultModel).toMatch(/^ft:base-small:standin:loop:/);
	// The student answered every held-out input.
	expect(loop.evaluated).toMatchObject({ kind: 'evaluation', status: 'done' });
	expect(loop.evaluated.counts.done).toBe(heldOut);
	expect(lines.at(-1)).toBe(`Evaluation ${loop.evaluated.id}: ${heldOut} of ${heldOut} answered.`);
});
