import { expect, request, test, type APIRequestContext } from '@playwright/test';
import { and, eq, sql } from 'drizzle-orm';
import { createApiToken } from '../../src/lib/server/apiTokens';
import { example, jobItem, revision } from '../../src/lib/server/db/schema';
import { freezeDataset } from '../../src/lib/server/datasets';
import { importExamples } from '../../src/lib/server/import';
import { addMember, createProject } from '../../src/lib/server/projects';
import { addModel, createProvider } from '../../src/lib/server/providers';
import { auditCut, claimNext } from '../../src/lib/server/queue';
import { submitReview } from '../../src/lib/server/reviews';
import { datasetFilterSchema } from '../../src/lib/schemas/dataset';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import {
	acceptEverything,
	BASE_URL,
	e2eDb,
	e2eSecretKey,
	ensureUser,
	logInAs
} from '../support/e2e';
import { startStandin, type Standin } from '../support/standin';

// Judges steering human attention: the judge-guided queue with its audit sample, and an
// evaluation judged on every answer while people rate a sample of it.

let standin: Standin;
test.beforeAll(async () => {
	// A judge that fails exactly the outputs with a planted defect.
	standin = await startStandin({ judgeCatchRate: 1, judgeFalseFailRate: 0 });
});
test.afterAll(async () => {
	await standin.close();
});

async function judgedProject(name: string, split: { train: string; test: string }) {
	const db = e2eDb();
	const admin = await ensureUser('triage-admin', 'admin');
	const rater = await ensureUser('triage-rater', 'annotator');
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `${name} ${Date.now()}`,
			splitTrain: split.train,
			splitVal: '0',
			splitTest: split.test
		}),
		admin.id
	);
	await addMember(db, project.id, rater.id);
	const providerName = `${name} stand-in ${project.id}`;
	const provider = await createProvider(db, e2eSecretKey(), {
		name: providerName,
		baseUrl: standin.url,
		apiKey: '',
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	const teacher = await addModel(db, provider.id, {
		name: 'teacher-large',
		inputPricePerMTok: 1,
		outputPricePerMTok: 2
	});
	const api = await request.newContext({
		baseURL: BASE_URL,
		extraHTTPHeaders: {
			authorization: `Bearer ${(await createApiToken(db, admin.id, 'triage script')).token}`
		}
	});
	return { db, admin, rater, project, provider, providerName, teacher, api };
}

async function jobDone(api: APIRequestContext, projectId: number, jobId: number) {
	await expect
		.poll(
			async () =>
				(await (await api.get(`/api/v1/projects/${projectId}/jobs/${jobId}`)).json()).status,
			{ timeout: 20_000 }
		)
		.toBe('done');
}

test('a judge run on a job’s outputs guides the queue, keeps an audit sample, and is measured once people review', async ({
	page,
	context
}) => {
	const { db, admin, rater, project, providerName, teacher, api } = await judgedProject('Guided', {
		train: '100',
		test: '0'
	});
	// The stand-in's teacher answers "Answer to: <input>", so two answers carry the defect.
	const inputs = [
		'Where is parcel 1?',
		'Refund order 2 [defect]',
		'Opening hours?',
		'Change my address [defect]',
		'Gift wrap?',
		'Track order 6'
	];
	const distilled = await api.post(`/api/v1/projects/${project.id}/jobs`, {
		data: { modelIds: [teacher.id], inputs, settings: {} }
	});
	expect(distilled.status(), await distilled.text()).toBe(201);
	const { id: jobId } = await distilled.json();
	await jobDone(api, project.id, jobId);

	// The admin defines a judge and runs it on the job's outputs.
	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/judges`);
	await page.getByLabel('Name', { exact: true }).fill('Strict');
	await page
		.getByLabel('Model that judges')
		.selectOption({ label: `teacher-large (${providerName})` });
	await page.getByRole('button', { name: 'Create the judge' }).click();
	await expect(page.getByRole('heading', { name: 'Judge: Strict' })).toBeVisible();
	await page.getByLabel('Outputs to judge').selectOption('job');
	await page.getByLabel('Job or import number').fill(String(jobId));
	await page.getByRole('button', { name: 'Start the run' }).click();
	await expect(page.getByRole('heading', { name: 'Progress: Done' })).toBeVisible({
		timeout: 15_000
	});
	await expect(page.getByRole('table', { name: 'Job figures' })).toContainText('Done6');

	// The queue turns judge-guided, with a fifth of the outputs kept as the audit sample.
	await page.goto(`/projects/${project.id}/settings`);
	await page.getByLabel('Order', { exact: true }).selectOption('judged');
	await page.getByLabel('Audit sample (% of outputs, when judge-guided)').fill('20');
	await page.getByRole('button', { name: 'Save queue settings' }).click();
	await expect(page.getByText('Queue settings saved.')).toBeVisible();

	// Which outputs form the sample is random; here one good output is it, and has been
	// reviewed, so what the annotator is served next follows the judge alone.
	const outputs = await db
		.select({ id: example.id, output: revision.output })
		.from(example)
		.innerJoin(revision, eq(revision.id, example.currentRevisionId))
		.where(eq(example.projectId, project.id));
	const member = outputs.find((o) => !o.output!.includes('[defect]'))!;
	const outside = outputs.find((o) => o.id !== member.id)!;
	await db.transaction(async (tx) => {
		await tx
			.update(example)
			.set({ randomKey: sql`${auditCut(0.2)} + ${example.id}` })
			.where(eq(example.projectId, project.id));
		await tx.update(example).set({ randomKey: 0 }).where(eq(example.id, member.id));
	});
	const audited = (await claimNext(db, project.id, admin.id, new Date(), [], undefined, 1, 0))!;
	expect(audited.exampleId).toBe(member.id);
	const settled = await submitReview(
		db,
		project.id,
		admin.id,
		{
			exampleId: audited.exampleId,
			revisionId: audited.revisionId,
			rating: 5,
			decision: 'accept',
			requirementRatings: new Map(),
			submissionKey: `audit-${member.id}`
		},
		new Date()
	);
	expect(settled.ok).toBe(true);
	await page.goto(`/projects/${project.id}/examples/${member.id}`);
	await expect(page.getByText('This output is in the audit sample')).toBeVisible();
	await page.goto(`/projects/${project.id}/examples/${outside.id}`);
	await expect(page.getByText('This output is outside the audit sample.')).toBeVisible();

	// The annotator is served the judge's two fails first, and sees nothing of the judge.
	await logInAs(context, rater.id);
	await page.goto(`/projects/${project.id}/review`);
	const output = page.getByRole('region', { name: 'Output' });
	for (let i = 0; i < 2; i++) {
		await expect(output).toContainText('[defect]');
		const shown = (await output.textContent())!;
		await page.keyboard.press('1');
		await page.keyboard.press('r');
		await expect(output).not.toHaveText(shown);
	}
	for (let i = 0; i < 2; i++) {
		await expect(output).not.toContainText('[defect]');
		const shown = (await output.textContent())!;
		await page.keyboard.press('5');
		await page.keyboard.press('Enter');
		await expect(output).not.toHaveText(shown);
	}
	await expect(page.locator('main')).not.toContainText('Strict');

	// The agreement page: the judge measured on the five outputs people settled, and the
	// acceptance rate from the audit sample alone.
	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/agreement`);
	const measured = page.getByRole('region', { name: 'Strict, measured against people' });
	await expect(measured.getByRole('table', { name: 'Strict: agreement' })).toContainText(
		'Outputs rated by both5'
	);
	const audit = page.getByRole('region', { name: 'Audit sample' });
	await expect(audit).toContainText(
		'The sample holds 1 output. Served from it so far: 1; settled: 1.'
	);
	await expect(audit).toContainText(
		/Acceptance rate, from the audit sample\s*100\.0% \(95% interval/
	);
	await api.dispose();
});

test('an evaluation judged on every held-out answer shows the estimate with both intervals', async ({
	page,
	context
}) => {
	const { db, admin, rater, project, teacher, api } = await judgedProject('Evaluated', {
		train: '5',
		test: '95'
	});
	async function* rows() {
		for (let i = 1; i <= 10; i++) {
			yield `${JSON.stringify({ input: `Held-out question ${i}${i % 4 === 0 ? ' [defect]' : ''}`, output: `Answer ${i}.` })}\n`;
		}
	}
	await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'held-out.jsonl',
		userId: admin.id
	});
	await acceptEverything(db, project.id, rater.id, 'held-out');
	const frozen = await freezeDataset(db, project, 'v1', datasetFilterSchema.parse({}), admin.id);
	if (!frozen.ok) throw new Error(frozen.message);
	// The split comes from each input's hash: nearly all of these are held out.
	const heldOut = frozen.counts.test;
	expect(heldOut).toBeGreaterThanOrEqual(6);

	const evaluation = await api.post(`/api/v1/projects/${project.id}/evaluations`, {
		data: { modelIds: [teacher.id], datasetId: frozen.datasetId, splits: ['test'] }
	});
	expect(evaluation.status(), await evaluation.text()).toBe(201);
	const { id: evaluationId } = await evaluation.json();
	await jobDone(api, project.id, evaluationId);
	const judges = `/api/v1/projects/${project.id}/judges`;
	const made = await api.post(judges, { data: { name: 'Strict', modelId: teacher.id } });
	expect(made.status(), await made.text()).toBe(201);
	const { id: judgeId } = await made.json();
	const run = await api.post(`${judges}/${judgeId}/runs`, {
		data: { selection: 'job', jobId: evaluationId }
	});
	expect(run.status(), await run.text()).toBe(201);
	await jobDone(api, project.id, (await run.json()).jobId);

	// People rate half of the answers, passing every other one.
	for (let i = 0; i < 4; i++) {
		const claimed = (await claimNext(db, project.id, rater.id, new Date(), [], undefined, 1))!;
		const pass = i % 2 === 0;
		const done = await submitReview(
			db,
			project.id,
			rater.id,
			{
				exampleId: claimed.exampleId,
				revisionId: claimed.revisionId,
				rating: pass ? 5 : 2,
				decision: pass ? 'accept' : 'reject',
				requirementRatings: new Map(),
				submissionKey: `sample-${claimed.exampleId}`
			},
			new Date()
		);
		expect(done.ok).toBe(true);
	}

	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/iterations`);
	const table = page.getByRole('table', { name: 'Judged estimates on the held-out inputs' });
	const row = table.getByRole('row', { name: /teacher-large/ });
	await expect(row).toContainText('Strict');
	await expect(row).toContainText(`${heldOut} / 4`);
	// People alone: two of four pass, 50.0% with Wilson's interval.
	await expect(row).toContainText('50.0% (15.0%–85.0%)');
	await expect(row).toContainText('(judge only)');
	const read = await (await api.get(`/api/v1/projects/${project.id}/iterations`)).json();
	expect(read.judged).toEqual([
		expect.objectContaining({
			judgeName: 'Strict',
			judged: heldOut,
			humanRated: 4,
			predictionPowered: expect.objectContaining({ humanRated: 4, judged: heldOut }),
			humanOnly: expect.objectContaining({ estimate: 0.5 })
		})
	]);
	await api.dispose();
});

test('a judge compares the student with the teacher pair by pair, from the iteration page', async ({
	page,
	context
}) => {
	const { db, admin, rater, project, provider, teacher, api } = await judgedProject('Pairwise', {
		train: '5',
		test: '95'
	});
	const student = await addModel(db, provider.id, {
		name: 'student-small',
		inputPricePerMTok: 0.1,
		outputPricePerMTok: 0.4
	});
	async function* rows() {
		for (let i = 1; i <= 8; i++) {
			yield `${JSON.stringify({ input: `Pair question ${i}`, output: `Answer ${i}.` })}\n`;
		}
	}
	await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'pairs.jsonl',
		userId: admin.id
	});
	await acceptEverything(db, project.id, rater.id, 'pairs');
	const frozen = await freezeDataset(db, project, 'v1', datasetFilterSchema.parse({}), admin.id);
	if (!frozen.ok) throw new Error(frozen.message);
	const evaluation = await api.post(`/api/v1/projects/${project.id}/evaluations`, {
		data: { modelIds: [teacher.id, student.id], datasetId: frozen.datasetId, splits: ['test'] }
	});
	expect(evaluation.status(), await evaluation.text()).toBe(201);
	await jobDone(api, project.id, (await evaluation.json()).id);
	// Two of the student's answers carry a defect; the judge prefers the teacher's there.
	const answers = await db
		.select({ revisionId: revision.id })
		.from(example)
		.innerJoin(revision, eq(revision.exampleId, example.id))
		.innerJoin(jobItem, eq(jobItem.exampleId, example.id))
		.where(and(eq(example.projectId, project.id), eq(jobItem.modelId, student.id)))
		.orderBy(example.id)
		.limit(2);
	await db.transaction(async (tx) => {
		for (const a of answers) {
			await tx
				.update(revision)
				.set({ output: sql`${revision.output} || ' [defect]'` })
				.where(eq(revision.id, a.revisionId));
		}
	});
	const made = await api.post(`/api/v1/projects/${project.id}/judges`, {
		data: { name: 'Referee', modelId: teacher.id }
	});
	expect(made.status(), await made.text()).toBe(201);

	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/iterations`);
	const form = page.getByRole('form', { name: 'Compare two models with a judge' });
	await form.getByLabel('Baseline (for example the teacher)').selectOption({
		label: 'teacher-large'
	});
	// The same model twice is refused beside the field.
	await form.getByLabel('Model measured against it (for example the student)').selectOption({
		label: 'teacher-large'
	});
	await form.getByRole('button', { name: 'Compare with the judge' }).click();
	await expect(
		page.getByLabel('Model measured against it (for example the student)')
	).toHaveAccessibleDescription('Choose a model other than the baseline.');
	await page
		.getByLabel('Model measured against it (for example the student)')
		.selectOption({ label: 'student-small' });
	await page.getByRole('button', { name: 'Compare with the judge' }).click();
	await expect(page.getByRole('heading', { name: /^Judge run \d+$/ })).toBeVisible();
	await expect(page.getByRole('heading', { name: 'Progress: Done' })).toBeVisible({
		timeout: 15_000
	});
	await page.goto(`/projects/${project.id}/iterations`);
	const row = page
		.getByRole('table', { name: 'Pairwise judge results' })
		.getByRole('row', { name: /Referee/ });
	const held = frozen.counts.test;
	await expect(row).toContainText('student-small, against teacher-large');
	await expect(row).toContainText(`0 / ${held - 2} / 2`);
	const read = await (await api.get(`/api/v1/projects/${project.id}/iterations`)).json();
	expect(read.pairwise).toEqual([
		expect.objectContaining({ inputs: held, baselineWins: 2, challengerWins: 0 })
	]);
	await api.dispose();
});
