import { expect, request, test, type APIResponse } from '@playwright/test';
import { addMember, createProject } from '../../src/lib/server/projects';
import { createApiToken } from '../../src/lib/server/apiTokens';
import { freezeDataset, listDatasets } from '../../src/lib/server/datasets';
import { addModel, createProvider } from '../../src/lib/server/providers';
import { datasetFilterSchema } from '../../src/lib/schemas/dataset';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import {
	acceptEverything,
	BASE_URL,
	e2eSecretKey,
	e2eDb,
	ensureUser,
	logInAs
} from '../support/e2e';
import { startStandin, type Standin } from '../support/standin';

let standin: Standin;
test.beforeAll(async () => {
	standin = await startStandin({ latencyMs: 5, fineTuneSeconds: 1.2, apiKey: 'sk-api-e2e' });
});
test.afterAll(async () => {
	await standin.close();
});

async function apiAs(token: string | null) {
	return request.newContext({
		baseURL: BASE_URL,
		extraHTTPHeaders: token ? { authorization: `Bearer ${token}` } : {}
	});
}

async function setup(overrides: Partial<typeof DEFAULT_PROJECT_VALUES> = {}) {
	const db = e2eDb();
	const admin = await ensureUser('api-admin', 'admin');
	const annotator = await ensureUser('api-annotator', 'annotator');
	const outsider = await ensureUser('api-outsider', 'annotator');
	const project = await createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, ...overrides, name: `API ${Date.now()}` }),
		admin.id
	);
	await addMember(db, project.id, annotator.id);
	return {
		project,
		admin,
		annotator,
		adminToken: (await createApiToken(db, admin.id, 'admin script')).token,
		annotatorToken: (await createApiToken(db, annotator.id, 'annotator script')).token,
		outsiderToken: (await createApiToken(db, outsider.id, 'outsider script')).token
	};
}

/** A 400 answered with exactly this JSON: the problem, and per field the zod messages. */
async function expectInvalid(
	response: APIResponse,
	body: { message: string; issues?: Record<string, string[]> }
) {
	expect({ status: response.status(), body: await response.json() }).toEqual({ status: 400, body });
}

/**
 * A project with thirty accepted examples, about half of them held out for testing (the other
 * half are more than the 10 OpenAI trains on at least), and a stand-in
 * provider with two models, its key sealed with the e2e server's own secret.
 */
async function reviewedProject() {
	const found = await setup({ splitTrain: '50', splitVal: '0', splitTest: '50' });
	const { project, annotator, adminToken } = found;
	const db = e2eDb();
	const api = await apiAs(adminToken);
	const imported = await api.post(`/api/v1/projects/${project.id}/examples`, {
		headers: { 'content-type': 'application/jsonl' },
		data: Array.from({ length: 30 }, (_, i) =>
			JSON.stringify({ input: `Parcel question ${i}?`, output: `Parcel answer ${i}.` })
		).join('\n')
	});
	expect(imported.status()).toBe(201);
	const reviewed = await acceptEverything(db, project.id, annotator.id, `api-loop-${project.id}`);
	expect(reviewed).toBe(30);
	const providerName = `API stand-in ${project.id}`;
	const provider = await createProvider(db, e2eSecretKey(), {
		name: providerName,
		baseUrl: standin.url,
		apiKey: 'sk-api-e2e',
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	const price = { inputPricePerMTok: 1, outputPricePerMTok: 2 };
	const teacher = await addModel(db, provider.id, { name: 'teacher-large', ...price });
	const other = await addModel(db, provider.id, { name: 'student-small', ...price });
	return {
		...found,
		api,
		base: `/api/v1/projects/${project.id}`,
		providerId: provider.id,
		providerName,
		teacherId: teacher.id,
		otherId: other.id
	};
}

test('a token is made on the account page, shown once, works, and stops working when revoked', async ({
	page,
	context
}) => {
	const { project, annotator } = await setup();
	await logInAs(context, annotator.id);
	await page.goto('/account');
	await page.getByLabel('Token name').fill('laptop');
	await page.getByRole('button', { name: 'Make a token' }).click();
	const token = (await page.getByRole('status').getByRole('code').textContent())!;
	expect(token).toMatch(/^wnw_/);

	const api = await apiAs(token);
	const projects = await api.get('/api/v1/projects');
	expect(projects.status()).toBe(200);
	expect((await projects.json()).projects.map((p: { id: number }) => p.id)).toContain(project.id);

	await page.reload();
	await expect(page.getByText(token)).toHaveCount(0);
	await page.getByRole('button', { name: 'Revoke laptop' }).click();
	await expect(page.getByText('Token revoked')).toBeVisible();
	const refused = await api.get('/api/v1/projects');
	expect(refused.status()).toBe(401);
	expect(await refused.json()).toEqual({ message: 'That access token is unknown or revoked.' });
});

test('the API: each endpoint, its bad input, and an annotator kept to annotator scope', async () => {
	const { project, adminToken, annotatorToken } = await setup();
	const admin = await apiAs(adminToken);
	const annotator = await apiAs(annotatorToken);
	const nobody = await apiAs(null);
	const base = `/api/v1/projects/${project.id}`;

	expect((await nobody.get('/api/v1/projects')).status()).toBe(401);

	// Import: all or nothing, every bad line named.
	const bad = await admin.post(`${base}/examples`, {
		headers: { 'content-type': 'application/jsonl' },
		data: '{"input": "ok", "output": "fine"}\n{"input": \n'
	});
	expect(bad.status()).toBe(400);
	expect((await bad.json()).errors[0]).toMatchObject({ line: 2 });
	const imported = await admin.post(`${base}/examples`, {
		headers: { 'content-type': 'application/jsonl' },
		data: '{"input": "Where is my order?", "output": "On its way."}\n{"input": "Refund?", "output": "Yes."}\n'
	});
	expect(imported.status()).toBe(201);
	expect(await imported.json()).toEqual({ imported: 2, skipped: 0 });
	const again = await admin.post(`${base}/examples`, {
		headers: { 'content-type': 'application/jsonl' },
		data: '{"input": "Where is my order?", "output": "On its way."}\n{"input": "Refund?", "output": "Yes."}\n'
	});
	expect(again.status()).toBe(200);
	expect(await again.json()).toEqual({
		imported: 0,
		skipped: 2,
		message: 'Nothing new: every row is already in the project; nothing was recorded.'
	});
	expect((await annotator.post(`${base}/examples`, { data: '{"input": "x"}' })).status()).toBe(403);

	// Examples: a member reads them, blind; a bad query is answered with the field.
	const listed = await annotator.get(`${base}/examples`);
	const items = (await listed.json()).items;
	expect(items).toHaveLength(2);
	expect(items[0]).not.toHaveProperty('source');
	expect((await (await admin.get(`${base}/examples`)).json()).items[0].source).toBe('import');
	const badQuery = await admin.get(`${base}/examples?status=lost`);
	expect(badQuery.status()).toBe(400);
	expect(Object.keys((await badQuery.json()).issues)).toEqual(['status']);
	const one = await annotator.get(`${base}/examples/${items[0].id}`);
	expect((await one.json()).origin).toBeNull();
	expect((await annotator.get(`${base}/examples/999999`)).status()).toBe(404);

	// Agreement, jobs and exports are for admins.
	expect((await admin.get(`${base}/agreement`)).status()).toBe(200);
	expect((await annotator.get(`${base}/agreement`)).status()).toBe(403);
	const noModel = await admin.post(`${base}/jobs`, { data: { modelIds: [999999], inputs: ['q'] } });
	expect(noModel.status()).toBe(400);
	expect((await noModel.json()).message).toBe('No model with id 999999.');
	const badJob = await admin.post(`${base}/jobs`, { data: { modelIds: [], inputs: [] } });
	expect(Object.keys((await badJob.json()).issues).sort()).toEqual(['inputs', 'modelIds']);
	expect((await admin.get(`${base}/jobs`)).status()).toBe(200);
	expect((await annotator.get(`${base}/jobs`)).status()).toBe(403);
	expect((await admin.get(`${base}/jobs/999999`)).status()).toBe(404);
	expect(
		(await admin.get(`${base}/datasets/999999/export?split=train&format=openai`)).status()
	).toBe(404);

	const openapi = await nobody.get('/api/v1/openapi.json');
	expect((await openapi.json()).openapi).toBe('3.1.0');
});

test('the re-tune API: evaluations, fine-tunes, iterations and compare, for admins only', async () => {
	test.setTimeout(120_000);
	const db = e2eDb();
	const seeded = await reviewedProject();
	const { project, admin, api, base, providerId, providerName, teacherId, otherId } = seeded;

	// Nothing evaluated yet: no iterations and no models in the figures.
	const empty = await api.get(`${base}/iterations`);
	expect(empty.status()).toBe(200);
	expect(await empty.json()).toEqual({
		iterations: [],
		figures: { scope: 'common', commonInputs: 0, threshold: 4, models: [] },
		judged: [],
		pairwise: []
	});
	expect(await (await api.get(`${base}/evaluations`)).json()).toEqual({ evaluations: [] });
	expect(await (await api.get(`${base}/fine-tunes`)).json()).toEqual({ fineTunes: [] });

	const frozen = await freezeDataset(
		db,
		project,
		'api v1',
		datasetFilterSchema.parse({}),
		admin.id
	);
	if (!frozen.ok) throw new Error(frozen.message);
	expect(frozen.counts.train).toBeGreaterThan(0);
	expect(frozen.counts.test).toBeGreaterThan(0);
	const heldOut = frozen.counts.test;

	// Two models answer the dataset's test inputs.
	const evaluation = { modelIds: [teacherId, otherId], datasetId: frozen.datasetId };
	const started = await api.post(`${base}/evaluations`, { data: evaluation });
	expect(started.status(), await started.text()).toBe(201);
	const evaluationId = (await started.json()).id;
	expect(evaluationId).toEqual(expect.any(Number));
	const listed = (await (await api.get(`${base}/evaluations`)).json()).evaluations;
	expect(listed.map((e: { id: number }) => e.id)).toEqual([evaluationId]);
	expect(listed[0]).toMatchObject({ kind: 'evaluation', total: 2 * heldOut });
	await expect
		.poll(async () => (await (await api.get(`${base}/evaluations`)).json()).evaluations[0].status, {
			timeout: 30_000
		})
		.toBe('done');

	// Both on the same held-out inputs, side by side; unrated, so nothing is paired yet.
	const compared = await api.get(`${base}/iterations/compare?a=${teacherId}&b=${otherId}`);
	expect(compared.status()).toBe(200);
	const sideBySide = await compared.json();
	expect(sideBySide).toMatchObject({
		total: heldOut,
		page: 1,
		paired: { n: 0, aBetter: 0, bBetter: 0, ties: 0, meanDifference: null }
	});
	expect(sideBySide.pairs).toHaveLength(heldOut);
	expect(sideBySide.pairs[0]).toMatchObject({
		input: expect.stringMatching(/^Parcel question \d+\?$/),
		a: { exampleId: expect.any(Number), output: expect.any(String), rating: null },
		b: { exampleId: expect.any(Number), output: expect.any(String), rating: null }
	});
	expect(sideBySide.pairs[0].a.exampleId).not.toBe(sideBySide.pairs[0].b.exampleId);
	const { iterations, figures } = await (await api.get(`${base}/iterations`)).json();
	expect(iterations).toEqual([]);
	expect(figures.commonInputs).toBe(heldOut);
	expect(figures.models.map((m: { modelId: number }) => m.modelId)).toEqual([teacherId, otherId]);

	// A fine-tune on the dataset, followed to the model it makes.
	const fineTune = {
		datasetId: frozen.datasetId,
		fineTune: { adapter: 'openai', providerId, baseModel: 'base-small', suffix: 'api', epochs: 2 }
	};
	const tuned = await api.post(`${base}/fine-tunes`, { data: fineTune });
	expect(tuned.status(), await tuned.text()).toBe(201);
	const fineTuneId = (await tuned.json()).id;
	expect(fineTuneId).toEqual(expect.any(Number));
	const hyperparameters = {
		epochs: 2,
		batchSize: null,
		learningRateMultiplier: null,
		suffix: 'api'
	};
	const tunes = (await (await api.get(`${base}/fine-tunes`)).json()).fineTunes;
	expect(tunes.map((t: { id: number }) => t.id)).toEqual([fineTuneId]);
	expect(tunes[0]).toMatchObject({
		datasetId: frozen.datasetId,
		datasetName: 'api v1',
		providerName,
		adapter: 'openai',
		baseModel: 'base-small',
		hyperparameters
	});
	await expect
		.poll(async () => (await (await api.get(`${base}/fine-tunes/${fineTuneId}`)).json()).status, {
			timeout: 30_000
		})
		.toBe('succeeded');
	const one = await api.get(`${base}/fine-tunes/${fineTuneId}`);
	expect(one.status()).toBe(200);
	const followed = await one.json();
	expect(followed).toMatchObject({
		id: fineTuneId,
		datasetName: 'api v1',
		hyperparameters,
		resultModel: expect.stringMatching(/^ft:base-small:standin:api:/)
	});
	expect(followed.events.map((e: { message: string }) => e.message)).toEqual(
		expect.arrayContaining(['Fine-tuning job started', 'The job has successfully completed'])
	);
	expect(followed.events[0]).toMatchObject({ fineTuneId, level: 'info' });
	const missing = await api.get(`${base}/fine-tunes/999999`);
	expect(missing.status()).toBe(404);
	expect(await missing.json()).toEqual({ message: 'No such fine-tune in this project.' });

	// An annotator of the project is refused every one of them; an outsider is not told it exists.
	const reads = [
		`${base}/evaluations`,
		`${base}/fine-tunes`,
		`${base}/fine-tunes/${fineTuneId}`,
		`${base}/iterations`,
		`${base}/iterations/compare?a=${teacherId}&b=${otherId}`
	];
	const writes: [string, object][] = [
		[`${base}/evaluations`, evaluation],
		[`${base}/fine-tunes`, fineTune],
		[`${base}/iterations`, { name: 'not theirs', fineTune: fineTune.fineTune }]
	];
	for (const [token, status, message] of [
		[seeded.annotatorToken, 403, 'This endpoint is for admins only.'],
		[seeded.outsiderToken, 404, 'No such project.']
	] as const) {
		const caller = await apiAs(token);
		for (const path of reads) {
			const response = await caller.get(path);
			expect({ path, status: response.status(), body: await response.json() }).toEqual({
				path,
				status,
				body: { message }
			});
		}
		for (const [path, data] of writes) {
			const response = await caller.post(path, { data });
			expect({ path, status: response.status(), body: await response.json() }).toEqual({
				path,
				status,
				body: { message }
			});
		}
	}
	// Nothing they sent was started.
	expect((await (await api.get(`${base}/evaluations`)).json()).evaluations).toHaveLength(1);
	expect((await (await api.get(`${base}/fine-tunes`)).json()).fineTunes).toHaveLength(1);
	expect((await (await api.get(`${base}/iterations`)).json()).iterations).toEqual([]);
	expect(await listDatasets(db, project.id)).toHaveLength(1);
});

test('the re-tune API: bad input is answered 400 with the problem named, and nothing is written', async () => {
	const db = e2eDb();
	const { project, admin, api, base, providerId, teacherId, otherId } = await reviewedProject();
	// A Buffer, since Playwright would send a string given as JSON as a JSON string.
	const notJson = {
		headers: { 'content-type': 'application/json' },
		data: Buffer.from('{"modelIds": [')
	};
	const fineTune = { adapter: 'openai', providerId, baseModel: 'base-small' };

	// The next iteration: every refusal, including those found after freezing, leaves nothing.
	const iteration = (body: object) => api.post(`${base}/iterations`, { data: body });
	await expectInvalid(await api.post(`${base}/iterations`, notJson), {
		message: 'The body is not JSON.'
	});
	await expectInvalid(await iteration({ fineTune }), {
		message: 'The iteration has a problem.',
		issues: { name: ['Name the dataset, such as “support v3”.'] }
	});
	await expectInvalid(await iteration({ name: '  ', fineTune }), {
		message: 'The iteration has a problem.',
		issues: { name: ['Name the dataset, such as “support v3”.'] }
	});
	await expectInvalid(await iteration({ name: 'n'.repeat(121), fineTune }), {
		message: 'The iteration has a problem.',
		issues: { name: ['Keep the name under 120 characters.'] }
	});
	await expectInvalid(await iteration({ name: 'next', fineTune, filter: 'accepted' }), {
		message: 'The iteration has a problem.',
		issues: { filter: ['Give the filter as an object, as the export page has it.'] }
	});
	await expectInvalid(await iteration({ name: 'next', fineTune, filter: { minReviews: '-1' } }), {
		message: 'The filter has a problem.',
		issues: { minReviews: ['The minimum cannot be negative.'] }
	});
	await expectInvalid(
		await iteration({ name: 'next', fineTune, filter: { from: '2025-03-02', to: '2025-03-01' } }),
		{
			message: 'The filter has a problem.',
			issues: { to: ['The first day comes before the last.'] }
		}
	);
	await expectInvalid(await iteration({ name: 'next', fineTune: { ...fineTune, baseModel: '' } }), {
		message: 'The fine-tune has a problem.',
		issues: { baseModel: ['Give the base model, such as qwen3-8b.'] }
	});
	const noFields = await iteration({ name: 'next', fineTune: {} });
	expect(noFields.status()).toBe(400);
	const noFieldsBody = await noFields.json();
	expect(noFieldsBody.message).toBe('The fine-tune has a problem.');
	expect(Object.keys(noFieldsBody.issues).sort()).toEqual(['adapter', 'baseModel', 'providerId']);
	expect(noFieldsBody.issues.providerId).toEqual(['Choose a provider.']);
	await expectInvalid(
		await iteration({ name: 'next', fineTune, evaluation: { splits: ['holdout'] } }),
		{
			message: 'The iteration has a problem.',
			issues: { 'evaluation.splits.0': ['Choose splits from test, val and train.'] }
		}
	);
	await expectInvalid(
		await iteration({ name: 'next', fineTune, filter: { tags: ['no-such-tag'] } }),
		{
			message: 'No accepted example clears this filter, so there is nothing to freeze.'
		}
	);
	await expectInvalid(
		await iteration({ name: 'next', fineTune, evaluation: { splits: ['val'] } }),
		{
			message:
				'The next dataset would have no examples in its val split, so its student could not be evaluated. Review more examples first, or evaluate on other splits.'
		}
	);
	await expectInvalid(
		await iteration({ name: 'next', fineTune: { ...fineTune, providerId: 999999 } }),
		{ message: 'That provider no longer exists.' }
	);
	expect((await (await api.get(`${base}/iterations`)).json()).iterations).toEqual([]);
	expect((await (await api.get(`${base}/fine-tunes`)).json()).fineTunes).toEqual([]);
	expect(await listDatasets(db, project.id)).toEqual([]);

	// An evaluation run.
	const evaluation = (body: object) => api.post(`${base}/evaluations`, { data: body });
	await expectInvalid(await api.post(`${base}/evaluations`, notJson), {
		message: 'The body is not JSON.'
	});
	await expectInvalid(await evaluation({}), {
		message: 'The evaluation has a problem.',
		issues: {
			modelIds: ['Give modelIds as a list of model ids.'],
			datasetId: ['Give the datasetId whose inputs to use.']
		}
	});
	await expectInvalid(await evaluation({ modelIds: [], datasetId: 1 }), {
		message: 'The evaluation has a problem.',
		issues: { modelIds: ['Give at least one model id.'] }
	});
	await expectInvalid(await evaluation({ modelIds: [teacherId, 999999], datasetId: 1 }), {
		message: 'No model with id 999999.'
	});
	await expectInvalid(await evaluation({ modelIds: [teacherId], datasetId: 999999 }), {
		message: 'No such dataset in this project.'
	});
	await expectInvalid(
		await evaluation({ modelIds: [teacherId], datasetId: 1, splits: ['test', 'holdout'] }),
		{
			message: 'The evaluation has a problem.',
			issues: { 'splits.1': ['Choose splits from test, val and train.'] }
		}
	);
	await expectInvalid(await evaluation({ modelIds: [teacherId], datasetId: 1, splits: [] }), {
		message: 'The evaluation has a problem.',
		issues: { splits: ['Choose at least one split whose inputs the model answers.'] }
	});
	await expectInvalid(
		await evaluation({ modelIds: [teacherId], datasetId: 1, settings: { temperature: 5 } }),
		{
			message: 'The settings have a problem.',
			issues: { temperature: ['The temperature is between 0 and 2.'] }
		}
	);
	const frozen = await freezeDataset(
		db,
		project,
		'api bad',
		datasetFilterSchema.parse({}),
		admin.id
	);
	if (!frozen.ok) throw new Error(frozen.message);
	await expectInvalid(
		await evaluation({ modelIds: [teacherId], datasetId: frozen.datasetId, splits: ['val'] }),
		{ message: '“api bad” has no inputs in its val split to evaluate on.' }
	);
	expect((await (await api.get(`${base}/evaluations`)).json()).evaluations).toEqual([]);

	// A fine-tune.
	const tune = (body: object) => api.post(`${base}/fine-tunes`, { data: body });
	await expectInvalid(await api.post(`${base}/fine-tunes`, notJson), {
		message: 'The body is not JSON.'
	});
	await expectInvalid(await tune({ fineTune }), {
		message: 'The fine-tune has a problem.',
		issues: { datasetId: ['Give the datasetId to fine-tune on.'] }
	});
	const noBase = await tune({
		datasetId: frozen.datasetId,
		fineTune: { adapter: 'openai', providerId }
	});
	expect(noBase.status()).toBe(400);
	const noBaseBody = await noBase.json();
	expect(noBaseBody).toEqual({
		message: 'The fine-tune has a problem.',
		issues: { baseModel: ['Give the base model, such as qwen3-8b.'] }
	});
	await expectInvalid(
		await tune({ datasetId: frozen.datasetId, fineTune: { ...fineTune, adapter: 'mystery' } }),
		{ message: 'The fine-tune has a problem.', issues: { adapter: ['Choose how to fine-tune.'] } }
	);
	await expectInvalid(
		await tune({ datasetId: frozen.datasetId, fineTune: { ...fineTune, epochs: 0 } }),
		{
			message: 'The fine-tune has a problem.',
			issues: {
				epochs: [
					"Give the epochs from 1 to 50 (a whole number), or leave it empty for the provider's choice."
				]
			}
		}
	);
	await expectInvalid(await tune({ datasetId: 999999, fineTune }), {
		message: 'No such dataset in this project.'
	});
	await expectInvalid(
		await tune({ datasetId: frozen.datasetId, fineTune: { ...fineTune, providerId: 999999 } }),
		{ message: 'That provider no longer exists.' }
	);
	expect((await (await api.get(`${base}/fine-tunes`)).json()).fineTunes).toEqual([]);

	// Two models side by side.
	const twoModels = { message: 'Give two different model ids as a and b.' };
	await expectInvalid(await api.get(`${base}/iterations/compare`), twoModels);
	await expectInvalid(await api.get(`${base}/iterations/compare?a=${teacherId}`), twoModels);
	await expectInvalid(
		await api.get(`${base}/iterations/compare?a=${teacherId}&b=${teacherId}`),
		twoModels
	);
	const notNumber = await api.get(`${base}/iterations/compare?a=teacher&b=${otherId}`);
	expect(notNumber.status()).toBe(400);
	const notNumberBody = await notNumber.json();
	expect(notNumberBody).toEqual({
		message: 'The query has a problem.',
		issues: { a: ['Give a model id as a number.'] }
	});
});
