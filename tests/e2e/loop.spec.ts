import { expect, request, test } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { addMember, createProject } from '../../src/lib/server/projects';
import { importExamples } from '../../src/lib/server/import';
import { createApiToken } from '../../src/lib/server/apiTokens';
import { example } from '../../src/lib/server/db/schema';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { addModel, createProvider } from '../../src/lib/server/providers';
import { freezeDataset } from '../../src/lib/server/datasets';
import { datasetFilterSchema } from '../../src/lib/schemas/dataset';
import { BASE_URL, e2eSecretKey, e2eDb, ensureUser, logInAs } from '../support/e2e';
import { annotatorSession, until, workQueue } from '../support/sessions';
import { startStandin, type Standin } from '../support/standin';

// The re-tune loop end to end: two whole iterations driven as a script would drive them (the
// HTTP API with an admin's token) and reviewed as annotators review (the review screen's own
// requests), against the stand-in provider.

let standin: Standin;
test.beforeAll(async () => {
	standin = await startStandin({ latencyMs: 5, fineTuneSeconds: 1.2, apiKey: 'sk-loop' });
});
test.afterAll(async () => {
	await standin.close();
});

/** A project split 60/10/30 with an admin and an annotator, and the stand-in as its provider. */
async function loopProject(name: string) {
	const db = e2eDb();
	const admin = await ensureUser('loop-admin', 'admin');
	const rater = await ensureUser('loop-rater', 'annotator');
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `${name} ${Date.now()}`,
			splitTrain: '60',
			splitVal: '10',
			splitTest: '30'
		}),
		admin.id
	);
	await addMember(db, project.id, rater.id);
	const providerName = `${name} stand-in ${project.id}`;
	const provider = await createProvider(db, e2eSecretKey(), {
		name: providerName,
		baseUrl: standin.url,
		apiKey: 'sk-loop',
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	const teacher = await addModel(db, provider.id, {
		name: 'teacher-large',
		inputPricePerMTok: 1,
		outputPricePerMTok: 4
	});
	return { admin, rater, project, provider, providerName, teacher };
}

test('two whole iterations: dataset, fine-tune, evaluation, reviews, repairs, and again', async ({
	page,
	context
}) => {
	test.setTimeout(240_000);
	const db = e2eDb();
	const checker = await ensureUser('loop-checker', 'annotator');
	const { admin, rater, project, provider, providerName, teacher } =
		await loopProject('Re-tune loop');
	await addMember(db, project.id, checker.id);
	const api = await request.newContext({
		baseURL: BASE_URL,
		extraHTTPHeaders: {
			authorization: `Bearer ${(await createApiToken(db, admin.id, 'loop script')).token}`
		}
	});
	const base = `/api/v1/projects/${project.id}`;
	const raterSession = await annotatorSession(rater.id);
	const checkerSession = await annotatorSession(checker.id);
	const seen: string[] = [];

	// The teacher's data, imported and reviewed.
	const lines = Array.from({ length: 40 }, (_, i) =>
		JSON.stringify({ input: `Customer question ${i}`, output: `Teacher answer ${i}` })
	);
	const imported = await api.post(`${base}/examples`, {
		headers: { 'content-type': 'application/jsonl' },
		data: lines.join('\n')
	});
	expect(imported.status()).toBe(201);
	expect(
		await workQueue(raterSession, project.id, seen, () => ({ rating: 5, decision: 'accept' }))
	).toBe(40);

	const fineTune = {
		adapter: 'openai',
		providerId: provider.id,
		baseModel: 'base-small',
		epochs: 1
	};
	const startIteration = async (name: string) => {
		const started = await api.post(`${base}/iterations`, {
			data: {
				name,
				fineTune: { ...fineTune, suffix: name },
				evaluation: { splits: ['test', 'train'] }
			}
		});
		expect(started.status(), await started.text()).toBe(201);
		const body = await started.json();
		// The loop carries on by itself: fine-tune, then the student's evaluation.
		await until(
			async () => (await (await api.get(`${base}/iterations`)).json()).iterations,
			(list: { iteration: { id: number }; evaluation: { status: string } | null }[]) =>
				list.find((it) => it.iteration.id === body.iterationId)?.evaluation?.status === 'done',
			`iteration ${name}`
		);
		return body as { iterationId: number; number: number; datasetId: number; fineTuneId: number };
	};

	// Iteration 1; the teacher is evaluated on the same held-out inputs.
	const first = await startIteration('loop1');
	expect(first.number).toBe(1);
	const teacherRun = await api.post(`${base}/evaluations`, {
		data: { modelIds: [teacher.id], datasetId: first.datasetId }
	});
	expect(teacherRun.status()).toBe(201);
	const teacherJob = (await teacherRun.json()).id;
	await until(
		async () => (await (await api.get(`${base}/jobs/${teacherJob}`)).json()).status,
		(status) => status === 'done',
		'the teacher evaluation'
	);
	const teacherOutputs = new Set(
		(await db.select({ id: example.id }).from(example).where(eq(example.jobId, teacherJob))).map(
			(e) => e.id
		)
	);
	// The student falls short: its training-split answers are repaired, its test answers rated 3.
	let repaired = 0;
	await workQueue(raterSession, project.id, seen, (found) => {
		if (teacherOutputs.has(found.id)) return { rating: 5, decision: 'accept' };
		if (found.split === 'train') {
			repaired += 1;
			return { rating: 2, decision: 'repair', output: `${found.output} (repaired)` };
		}
		return { rating: 3, decision: 'reject' };
	});
	expect(repaired).toBeGreaterThan(0);
	// Another annotator reviews the repairs.
	expect(
		await workQueue(checkerSession, project.id, seen, () => ({ rating: 5, decision: 'accept' }))
	).toBe(repaired);

	// Iteration 2, from the grown dataset; this student does well.
	const second = await startIteration('loop2');
	expect(second.number).toBe(2);
	await workQueue(raterSession, project.id, seen, () => ({ rating: 5, decision: 'accept' }));

	// No test input in any training file; the repairs in the second.
	const testInputs = new Set(
		(await db.select({ input: example.input }).from(example).where(eq(example.split, 'test')))
			.map((e) => e.input)
			.filter((input) => input.startsWith('Customer question'))
	);
	const trainingFiles = standin.uploads.filter((u) => u.filename.includes('-train'));
	expect(trainingFiles.map((f) => f.filename)).toEqual([
		`dataset-${first.datasetId}-train.jsonl`,
		`dataset-${second.datasetId}-train.jsonl`
	]);
	for (const file of trainingFiles) {
		const inputs = file.content
			.split('\n')
			.filter(Boolean)
			.map(
				(line) => JSON.parse(line).messages.find((m: { role: string }) => m.role === 'user').content
			);
		expect(inputs.filter((input: string) => testInputs.has(input))).toEqual([]);
	}
	expect(trainingFiles[0].content).not.toContain('(repaired)');
	expect(trainingFiles[1].content.split('(repaired)').length - 1).toBe(repaired);

	// Both students and the teacher on the iteration figures.
	const { figures, iterations } = await (await api.get(`${base}/iterations`)).json();
	expect(iterations.map((it: { iteration: { number: number } }) => it.iteration.number)).toEqual([
		2, 1
	]);
	expect(iterations[0].change).toMatchObject({ added: repaired, removed: 0 });
	const byName = new Map(
		figures.models.map((m: { name: string; trainedOn: { iteration: number } | null }) => [
			m.trainedOn?.iteration ?? 'teacher',
			m
		])
	);
	expect([...byName.keys()]).toEqual(['teacher', 1, 2]);
	const [teacherFigures, one, two] = figures.models;
	expect(teacherFigures).toMatchObject({ meanRating: 5, clears: { share: 1 } });
	expect(one).toMatchObject({ meanRating: 3, clears: { count: 0, share: 0 } });
	expect(two).toMatchObject({ meanRating: 5, clears: { share: 1 } });
	expect(one.outputs).toBe(figures.commonInputs);
	expect(figures.commonInputs).toBe(testInputs.size);
	const compared = await (
		await api.get(`${base}/iterations/compare?a=${one.modelId}&b=${two.modelId}`)
	).json();
	expect(compared.paired).toMatchObject({
		n: testInputs.size,
		bBetter: testInputs.size,
		meanDifference: -2
	});

	// Blind review: no model or provider name in anything an annotator was sent, nor on the
	// pages an annotator opens.
	const names = [
		'teacher-large',
		providerName,
		...figures.models.map((m: { name: string }) => m.name)
	];
	for (const path of [
		`/projects/${project.id}/review`,
		`/projects/${project.id}/examples`,
		...[...teacherOutputs].slice(0, 3).map((id) => `/projects/${project.id}/examples/${id}`),
		`/projects/${project.id}/examples/${compared.pairs[0].a.exampleId}`,
		`/projects/${project.id}/examples/${compared.pairs[0].b.exampleId}`
	]) {
		const response = await raterSession.get(path);
		expect(response.status(), path).toBe(200);
		seen.push(await response.text());
	}
	const raterApi = await request.newContext({
		baseURL: BASE_URL,
		extraHTTPHeaders: {
			authorization: `Bearer ${(await createApiToken(db, rater.id, 'rater script')).token}`
		}
	});
	seen.push(await (await raterApi.get(`${base}/examples`)).text());
	seen.push(await (await raterApi.get(`${base}/examples/${compared.pairs[0].b.exampleId}`)).text());
	expect(seen.length).toBeGreaterThan(100);
	for (const name of names) {
		expect(seen.filter((text) => text.includes(name)).length, name).toBe(0);
	}
	// An annotator's token cannot read the loop.
	expect((await raterApi.get(`${base}/iterations`)).status()).toBe(403);

	// The iteration page after the loop, as an admin sees it.
	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/iterations`);
	const table = page.getByRole('table', { name: 'Models on the held-out inputs' });
	await expect(table.getByRole('row')).toHaveCount(4);
	await expect(table.getByRole('row', { name: /student of iteration 1/ })).toContainText('0%');
	await expect(table.getByRole('row', { name: /student of iteration 2/ })).toContainText('100%');
	await expect(table.getByRole('row', { name: /teacher-large/ })).toContainText(
		'not fine-tuned here'
	);
	await expect(page.getByRole('img', { name: /Share of rated held-out outputs/ })).toBeVisible();
	// The two students side by side on the same input.
	await expect(
		page.getByText(`On ${testInputs.size} held-out inputs both have a rating on`)
	).toBeVisible();
	await expect(page.getByRole('region', { name: /^A: / }).first()).toBeVisible();
	const loop = page.getByRole('table', { name: 'Iterations' });
	await expect(loop.getByRole('row')).toHaveCount(3);
	await expect(loop.getByRole('row', { name: /^2/ })).toContainText(`+${repaired}`);
});

test('an admin starts an iteration and an evaluation from the pages', async ({ page, context }) => {
	test.setTimeout(120_000);
	const db = e2eDb();
	const { admin, rater, project, providerName } = await loopProject('Iteration pages');
	async function* rows() {
		for (let i = 0; i < 20; i++) yield `{"input": "Page question ${i}", "output": "Answer ${i}"}\n`;
	}
	await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'pages.jsonl',
		userId: admin.id
	});
	const session = await annotatorSession(rater.id);
	await workQueue(session, project.id, [], () => ({ rating: 5, decision: 'accept' }));

	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/iterations`);
	await expect(page.getByText('No iteration yet.')).toBeVisible();
	await page.getByRole('link', { name: 'Start the next iteration' }).click();
	await expect(page.getByRole('heading', { name: 'Iteration 1' })).toBeVisible();
	await expect(page.getByText('This is the first dataset.')).toBeVisible();
	await expect(page.getByText(/in all\)\./)).toContainText('(20 in all)');

	// A missing base model is told beside its field, and nothing starts.
	await page.getByRole('button', { name: 'Freeze, fine-tune and evaluate' }).click();
	await expect(page.getByText('Give the base model, such as qwen3-8b.')).toBeVisible();
	await page.getByLabel('Provider').selectOption({ label: providerName });
	await page.getByLabel('Base model').fill('base-small');
	await page.getByRole('button', { name: 'Freeze, fine-tune and evaluate' }).click();
	await expect(page).toHaveURL(new RegExp(`/projects/${project.id}/iterations$`));
	const loop = page.getByRole('table', { name: 'Iterations' });
	await expect(loop.getByRole('row', { name: /^1 iteration 1/ })).toBeVisible();
	// The fine-tune succeeds on the stand-in and the student's evaluation follows.
	await expect(async () => {
		await page.reload();
		await expect(loop.getByRole('row', { name: /^1/ })).toContainText('Done');
	}).toPass({ timeout: 60_000 });

	// The teacher evaluated from the form, on the same dataset's test inputs.
	const form = page.getByRole('form', { name: 'Evaluate a model' });
	await form.getByLabel(`teacher-large (${providerName})`).check();
	await form.getByRole('button', { name: 'Start the evaluation' }).click();
	await expect(page).toHaveURL(new RegExp(`/projects/${project.id}/jobs/\\d+$`));
	await expect(page.getByRole('heading', { name: /^Evaluation run \d+$/ })).toBeVisible();
	await expect(page.getByText(/test split of “iteration 1”/)).toBeVisible();
});

test('a student trained on one’s own GPUs is registered on its dataset’s page and evaluated', async ({
	page,
	context
}) => {
	test.setTimeout(120_000);
	const db = e2eDb();
	const { admin, rater, project } = await loopProject('Own GPUs');
	async function* rows() {
		for (let i = 0; i < 20; i++) yield `{"input": "GPU question ${i}", "output": "Answer ${i}"}\n`;
	}
	await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'gpus.jsonl',
		userId: admin.id
	});
	await workQueue(await annotatorSession(rater.id), project.id, [], () => ({
		rating: 5,
		decision: 'accept'
	}));
	const frozen = await freezeDataset(
		db,
		project,
		'bundle one',
		datasetFilterSchema.parse({}),
		admin.id
	);
	if (!frozen.ok) throw new Error(frozen.message);

	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/datasets/${frozen.datasetId}`);
	const form = page.getByRole('form', { name: 'Fine-tune on your own GPUs' });
	await form.getByLabel('Served at (base URL)').fill('gpu-box:8000');
	await form.getByLabel('Model name on that server').fill('student-small');
	await form.getByLabel('Trained from (base model)').fill('meta-llama/Llama-3.1-8B-Instruct');
	await form.getByLabel('API key (if the server needs one)').fill('sk-loop');
	await expect(form.getByLabel(/Evaluate it as the next iteration/)).toBeChecked();
	await form.getByRole('button', { name: 'Register the model' }).click();
	await expect(
		page.getByText('Give the URL the model is served at, such as http://gpu-box:8000/v1.')
	).toBeVisible();
	await form.getByLabel('Served at (base URL)').fill(standin.url);
	await form.getByLabel('API key (if the server needs one)').fill('sk-loop');
	await form.getByRole('button', { name: 'Register the model' }).click();

	await expect(page).toHaveURL(new RegExp(`/projects/${project.id}/iterations$`));
	const loop = page.getByRole('table', { name: 'Iterations' });
	await expect(loop.getByRole('row', { name: /^1 bundle one/ })).toContainText('student-small');
	await expect(async () => {
		await page.reload();
		await expect(loop.getByRole('row', { name: /^1/ })).toContainText('Done');
	}).toPass({ timeout: 60_000 });
});
