import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { example, revision } from '../../src/lib/server/db/schema';
import { freezeDataset } from '../../src/lib/server/datasets';
import { datasetFilterSchema } from '../../src/lib/schemas/dataset';
import { addMember, createProject } from '../../src/lib/server/projects';
import { importExamples } from '../../src/lib/server/import';
import { claimNext } from '../../src/lib/server/queue';
import { submitReview } from '../../src/lib/server/reviews';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { createProvider } from '../../src/lib/server/providers';
import {
	acceptedProject,
	acceptEverything,
	e2eSecretKey,
	e2eDb,
	ensureUser,
	gotoLive,
	logInAs
} from '../support/e2e';
import { startStandin } from '../support/standin';

test('an admin freezes a dataset on the export page and downloads a checked OpenAI file', async ({
	page,
	context
}) => {
	const db = e2eDb();
	const admin = await ensureUser('exporter', 'admin');
	const rater = await ensureUser('rita', 'annotator');
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `Export ${Date.now()}`,
			instruction: 'Answer the customer in one sentence.',
			splitTrain: '100',
			splitVal: '0',
			splitTest: '0'
		}),
		admin.id
	);
	await addMember(db, project.id, rater.id);
	async function* rows() {
		for (let i = 1; i <= 6; i++) yield `{"input": "Question ${i}?", "output": "Answer ${i}."}\n`;
	}
	await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'q.jsonl',
		userId: admin.id
	});
	// Five accepted, one rejected.
	for (let i = 1; i <= 6; i++) {
		const claimed = (await claimNext(db, project.id, rater.id, new Date()))!;
		const result = await submitReview(
			db,
			project.id,
			rater.id,
			{
				exampleId: claimed.exampleId,
				revisionId: claimed.revisionId,
				rating: i === 6 ? 2 : 5,
				decision: i === 6 ? 'reject' : 'accept',
				requirementRatings: new Map(),
				submissionKey: `export-${project.id}-${i}`
			},
			new Date()
		);
		expect(result.ok).toBe(true);
	}

	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}`);
	await page
		.getByRole('navigation', { name: 'Project' })
		.getByRole('link', { name: 'Export' })
		.click();
	const counts = page.getByRole('table', { name: 'Examples per split' });
	await expect(counts.getByRole('row', { name: 'Train 5' })).toBeVisible();
	await expect(counts.getByRole('row', { name: 'Test 0' })).toBeVisible();
	await expect(
		page.getByText('No validation or test examples: that file would be empty.')
	).toBeVisible();

	// A filter that selects nothing says so, and cannot be frozen.
	await page.getByLabel('Tags (any of, comma-separated)').fill('nothing-has-this');
	await page.getByRole('button', { name: 'Update the counts' }).click();
	await expect(page.getByText('No accepted example clears this filter')).toBeVisible();
	// The filter is said in words, as the dataset will say it.
	await expect(
		page.getByText(
			'Accepted examples rated 4 stars or more (the project’s threshold), from any source but evaluation runs, tagged nothing-has-this. An exact repeat of an input and output is taken once.'
		)
	).toBeVisible();
	await expect(page.getByRole('button', { name: 'Freeze 0 examples' })).toBeDisabled();
	await page.getByLabel('Tags (any of, comma-separated)').fill('');
	await page.getByRole('button', { name: 'Update the counts' }).click();

	await page.getByLabel('Dataset name').fill('support v1');
	await page.getByRole('button', { name: 'Freeze 5 examples' }).click();
	await expect(page.getByRole('heading', { name: 'Dataset: support v1' })).toBeVisible();

	const download = page.waitForEvent('download');
	await page.getByRole('link', { name: 'OpenAI chat fine-tuning (JSONL), Train' }).click();
	const file = await download;
	expect(file.suggestedFilename()).toBe('support-v1-train-openai.jsonl');
	const lines = readFileSync((await file.path())!, 'utf8')
		.trim()
		.split('\n');
	expect(lines).toHaveLength(5);
	for (const line of lines) {
		const { messages } = JSON.parse(line);
		expect(messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'assistant']);
		expect(messages[0].content).toBe('Answer the customer in one sentence.');
	}
	expect(lines.join('\n')).not.toContain('Question 6?');

	await page.getByLabel('Training price, $ per million tokens').fill('25');
	await page.getByRole('button', { name: 'Check the files and count tokens' }).click();
	const train = page.getByRole('region', { name: 'Train file check' });
	await expect(train.getByText('No format errors found.')).toBeVisible();
	await expect(train).toContainText('Train: 5 examples');
	await expect(page.getByText('Estimated training cost:')).toBeVisible();
});

test('a fine-tune started from a dataset succeeds, and its model is offered for jobs', async ({
	page,
	context
}) => {
	const standin = await startStandin({ fineTuneSeconds: 2, apiKey: 'sk-fine-tune' });
	try {
		// OpenAI trains on at least 10 examples.
		const { db, admin, project } = await acceptedProject('Tune', 12);
		const providerName = `Fine-tuning stand-in ${project.id}`;
		await createProvider(db, e2eSecretKey(), {
			name: providerName,
			baseUrl: standin.url,
			apiKey: 'sk-fine-tune',
			requestsPerMinute: null,
			tokensPerMinute: null
		});

		await logInAs(context, admin.id);
		await page.goto(`/projects/${project.id}/datasets`);
		await page.getByLabel('Dataset name').fill('tune v1');
		await page.getByRole('button', { name: 'Freeze 12 examples' }).click();
		await expect(page.getByRole('heading', { name: 'Dataset: tune v1' })).toBeVisible();
		await expect(
			page.getByText('OpenAI itself takes no new fine-tuning jobs from 6 January 2027')
		).toBeVisible();
		await page.getByLabel('Provider').selectOption({ label: providerName });
		await page.getByLabel('Base model', { exact: true }).fill('base-small');
		await page.getByLabel('Suffix (optional)').fill('support');
		await page.getByLabel('Epochs (optional)').fill('2');
		await page.getByRole('button', { name: 'Start fine-tuning' }).click();

		await expect(page.getByRole('heading', { name: /^Fine-tune \d+$/ })).toBeVisible();
		await expect(page.getByRole('heading', { name: 'Status: Succeeded' })).toBeVisible({
			timeout: 20_000
		});
		await expect(page.getByRole('main')).toContainText('The job has successfully completed');
		const modelName = (await page.getByRole('main').getByRole('strong').first().textContent())!;
		expect(modelName).toMatch(/^ft:base-small:standin:support:/);

		await page.goto(`/projects/${project.id}/jobs/new`);
		await expect(page.getByLabel(`${modelName} (${providerName})`)).toBeVisible();
	} finally {
		await standin.close();
	}
});

test('a Fireworks fine-tune from a dataset’s page makes a deployed student that answers in the playground', async ({
	page,
	context
}) => {
	const standin = await startStandin({ fineTuneSeconds: 2, apiKey: 'fw-key-e2e' });
	try {
		const { db, admin, project } = await acceptedProject('Fireworks');
		const providerName = `Fireworks stand-in ${project.id}`;
		await createProvider(db, e2eSecretKey(), {
			name: providerName,
			baseUrl: standin.url.replace(/\/v1$/, '/inference/v1'),
			apiKey: 'fw-key-e2e',
			accountId: 'standin-account',
			requestsPerMinute: null,
			tokensPerMinute: null
		});

		await logInAs(context, admin.id);
		await page.goto(`/projects/${project.id}/datasets`);
		await page.getByLabel('Dataset name').fill('fireworks v1');
		await page.getByRole('button', { name: 'Freeze 3 examples' }).click();
		await expect(page.getByRole('heading', { name: 'Dataset: fireworks v1' })).toBeVisible();
		// Three examples are too few for OpenAI: the table says so before, the form beside the field.
		const services = page.getByRole('table', { name: 'What each service takes' });
		await expect(services.getByRole('row', { name: /^OpenAI/ })).toContainText(
			'Supervised: The train split has 3 examples; OpenAI trains on at least 10'
		);
		await expect(services.getByRole('row', { name: /^Fireworks/ })).toContainText(
			'Supervised: takes it.'
		);
		await page.getByLabel('Provider').selectOption({ label: providerName });
		await page.getByLabel('Base model', { exact: true }).fill('qwen3-8b');
		await page.getByRole('button', { name: 'Start fine-tuning' }).click();
		await expect(page.getByLabel('Fine-tuning service')).toHaveAccessibleDescription(
			/The train split has 3 examples; OpenAI trains on at least 10 .*choose another service\./
		);
		await page.getByLabel('Fine-tuning service').selectOption('fireworks');
		await page.getByLabel('Provider').selectOption({ label: providerName });
		await page.getByLabel('Base model', { exact: true }).fill('qwen3-8b');
		await page.getByLabel('LoRA rank (Together, Fireworks; optional)').fill('16');
		await page.getByRole('button', { name: 'Start fine-tuning' }).click();

		await expect(page.getByRole('heading', { name: /^Fine-tune \d+$/ })).toBeVisible();
		await expect(page.getByRole('heading', { name: 'Status: Succeeded' })).toBeVisible({
			timeout: 20_000
		});
		await expect(page.getByRole('main')).toContainText('(scales to zero when idle)');
		const modelName = (await page.getByRole('main').getByRole('strong').first().textContent())!;
		expect(modelName).toMatch(/^accounts\/standin-account\/models\/sft-\d+$/);

		await page.goto(`/projects/${project.id}/playground`);
		const label = `${modelName} (${providerName})`;
		await page.getByRole('checkbox', { name: label }).check();
		await page.getByLabel('Input', { exact: true }).fill('Where is my parcel?');
		await page.getByRole('button', { name: 'Run' }).click();
		await expect(
			page.getByRole('article', { name: label }).getByRole('region', { name: `Output of ${label}` })
		).toHaveText('Answer to: Where is my parcel?');
	} finally {
		await standin.close();
	}
});

test('the export filter shows the URL’s filter again after Back and Forward', async ({
	page,
	context
}) => {
	const admin = await ensureUser('exporter', 'admin');
	const project = await createProject(
		e2eDb(),
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: `Filter history ${Date.now()}` }),
		admin.id
	);
	await logInAs(context, admin.id);
	// A change before the page is live is sent only by the form's button.
	await gotoLive(page, `/projects/${project.id}/datasets`);
	const filter = page.getByRole('form', { name: 'Filter' });
	const threshold = filter.getByLabel('Threshold');
	const imported = filter.getByRole('checkbox', { name: 'Import', exact: true });
	const repairedOnly = filter.getByRole('checkbox', { name: /^Repaired only/ });
	await threshold.selectOption('3');
	await expect(page).toHaveURL(/threshold=3/);
	await imported.check();
	await expect(page).toHaveURL(/source=import/);
	await repairedOnly.check();
	await expect(page).toHaveURL(/repairedOnly=on/);

	await page.goBack();
	await expect(page).not.toHaveURL(/repairedOnly/);
	await expect(repairedOnly).not.toBeChecked();
	await expect(imported).toBeChecked();
	await expect(threshold).toHaveValue('3');
	await page.goBack();
	await expect(page).not.toHaveURL(/source=/);
	await expect(imported).not.toBeChecked();
	await expect(threshold).toHaveValue('3');
	await page.goBack();
	await expect(page).not.toHaveURL(/threshold=/);
	await expect(threshold).toHaveValue('');
	await page.goForward();
	await page.goForward();
	await expect(page).toHaveURL(/source=import/);
	await expect(imported).toBeChecked();
	await expect(repairedOnly).not.toBeChecked();
	await expect(threshold).toHaveValue('3');
});

test('the dataset page says which files would be empty and what a reasoning file leaves out', async ({
	page,
	context
}) => {
	const db = e2eDb();
	const admin = await ensureUser('exporter', 'admin');
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `Fidelity ${Date.now()}`,
			reviewsRequired: '1',
			splitTrain: '100',
			splitVal: '0',
			splitTest: '0'
		}),
		admin.id
	);
	async function* rows() {
		for (let i = 1; i <= 3; i++) yield `{"input": "Why ${i}?", "output": "Because ${i}."}\n`;
	}
	await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'why.jsonl',
		userId: admin.id
	});
	// One teacher output came with its reasoning.
	const first = (
		await db.select().from(example).where(eq(example.projectId, project.id)).limit(1)
	)[0]!;
	const thought = (
		await db.transaction(async (tx) =>
			tx
				.update(revision)
				.set({ reasoning: 'Think it through.' })
				.where(eq(revision.id, first.currentRevisionId!))
				.returning()
		)
	)[0]!;
	await acceptEverything(db, project.id, admin.id, 'fidelity');
	const frozen = await freezeDataset(
		db,
		project,
		'why v1',
		datasetFilterSchema.parse({}),
		admin.id
	);
	if (!frozen.ok) throw new Error(frozen.message);

	await logInAs(context, admin.id);
	const pagePath = `/projects/${project.id}/datasets/${frozen.datasetId}`;
	await page.goto(pagePath);
	// No repair, so no preference pair: the DPO file is not offered, and the page says why.
	const notOffered = page.getByRole('list', { name: 'Files not offered' });
	await expect(notOffered).toContainText(
		'Preference pairs, DPO: OpenAI, Together, Fireworks (JSONL), Train: No train example (of 3) is a person’s repair of an earlier output or the better side of a settled comparison, so there is no preference pair for that file.'
	);
	await expect(
		page.getByRole('link', {
			name: 'Preference pairs, DPO: OpenAI, Together, Fireworks (JSONL), Train'
		})
	).toHaveCount(0);
	const refused = await page.request.get(`${pagePath}/download?split=train&format=openai_dpo`);
	expect(refused.status()).toBe(404);
	expect(await refused.text()).toContain('no preference pair for that file');

	await page.getByLabel('With the teacher’s reasoning').check();
	await page.getByRole('button', { name: 'Show the files' }).click();
	await expect(page).toHaveURL(/reasoning=1/);
	await expect(page.getByText('the others are left out (2 of 3 train)')).toBeVisible();
	const download = page.waitForEvent('download');
	await page.getByRole('link', { name: 'OpenAI chat fine-tuning (JSONL), Train' }).click();
	const file = await download;
	expect(file.suggestedFilename()).toBe('why-v1-train-openai-reasoning.jsonl');
	const lines = readFileSync((await file.path())!, 'utf8')
		.trim()
		.split('\n');
	expect(lines).toHaveLength(1);
	expect(JSON.parse(lines[0]).messages.at(-1).content).toBe(
		`<think>\nThink it through.\n</think>\n\n${thought.output}`
	);
});
