import { expect, test } from '@playwright/test';
import { addMember, createProject } from '../../src/lib/server/projects';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { addModel, createProvider } from '../../src/lib/server/providers';
import { e2eSecretKey, e2eDb, ensureUser, logInAs } from '../support/e2e';
import { startStandin, type Standin } from '../support/standin';

let standin: Standin;
/** Named afresh each run: a retried beforeAll must not make two providers of one name. */
const SEEDED = `Seeded stand-in ${Date.now()}`;
test.beforeAll(async () => {
	standin = await startStandin({ latencyMs: 40, apiKey: 'sk-standin-e2e' });
	// A provider for the tests that do not add one through the page, sealed with the server's secret.
	const db = e2eDb();
	const seeded = await createProvider(db, e2eSecretKey(), {
		name: SEEDED,
		baseUrl: standin.url,
		apiKey: 'sk-standin-e2e',
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	await addModel(db, seeded.id, {
		name: 'teacher-large',
		inputPricePerMTok: 1,
		outputPricePerMTok: 2
	});
});
test.afterAll(async () => {
	await standin.close();
});

const INPUTS = ['Where is my parcel?', 'Can I change my address?', 'Do you ship to Norway?'];

test('an admin adds a provider, runs a job over a file, and its outputs reach the review queue', async ({
	page,
	context
}) => {
	const db = e2eDb();
	const admin = await ensureUser('distiller', 'admin');
	const annotator = await ensureUser('dora', 'annotator');
	const project = await createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: `Support answers ${Date.now()}` }),
		admin.id
	);
	await addMember(db, project.id, annotator.id);
	await logInAs(context, admin.id);

	// A provider with a wrong key says so when tested.
	const providerName = `Stand-in ${project.id}`;
	await page.goto('/admin/providers');
	await page.getByLabel('Name', { exact: true }).fill(`Wrong key ${project.id}`);
	await page.getByLabel('Base URL').fill(standin.url);
	await page.getByLabel('API key').fill('sk-wrong');
	await page.getByRole('button', { name: 'Add provider' }).click();
	const wrong = page.getByRole('region', { name: `Wrong key ${project.id}` });
	await wrong.getByRole('button', { name: 'Test connection' }).click();
	await expect(wrong.getByText('The provider refused the API key (401)')).toBeVisible();

	await page.getByLabel('Name', { exact: true }).fill(providerName);
	await page.getByLabel('Base URL').fill(standin.url);
	await page.getByLabel('API key').fill('sk-standin-e2e');
	await page.getByRole('button', { name: 'Add provider' }).click();
	const card = page.getByRole('region', { name: providerName, exact: true });
	await expect(card).toContainText('key stored');
	await card.getByRole('button', { name: 'Test connection' }).click();
	await expect(card.getByText('Connected: 2 models available.')).toBeVisible();
	await card.getByLabel('Model id').fill('teacher-large');
	await card.getByLabel('Input $ / M tokens').fill('2');
	await card.getByLabel('Output $ / M tokens').fill('8');
	await card.getByRole('button', { name: 'Add model' }).click();
	await expect(card.getByRole('rowheader', { name: 'teacher-large' })).toBeVisible();
	// The key never comes back to the browser.
	expect(await page.content()).not.toContain('sk-standin-e2e');

	await page.goto(`/projects/${project.id}/jobs/new`);
	await page.getByLabel(`teacher-large (${providerName})`).check();
	await page.getByLabel('File of inputs', { exact: true }).setInputFiles({
		name: 'questions.jsonl',
		mimeType: 'application/jsonl',
		buffer: Buffer.from(INPUTS.map((input) => JSON.stringify({ input })).join('\n'))
	});
	await page.getByLabel('Calls at once').fill('2');
	// Slow answers, so the page is seen running and then done without being reloaded.
	standin.set({ latencyMs: 700 });
	await page.getByRole('button', { name: 'Start job' }).click();

	await expect(page).toHaveURL(new RegExp(`/projects/${project.id}/jobs/\\d+$`));
	await expect(page.getByRole('heading', { name: /^Progress: Running$/ })).toBeVisible();
	await expect(page.getByRole('heading', { name: /^Progress: Done$/ })).toBeVisible({
		timeout: 20_000
	});
	standin.set({ latencyMs: 40 });
	await expect(page.getByText('100% of 3 items finished')).toBeVisible();
	const figures = page.getByRole('table', { name: 'Job figures' });
	await expect(figures.getByRole('row', { name: 'Done 3' })).toBeVisible();
	await expect(figures.getByRole('row', { name: /^Cost so far \$0\.0\d+$/ })).toBeVisible();

	// An annotator finds the outputs in the review queue, without the model's name.
	await context.clearCookies();
	await logInAs(context, annotator.id);
	await page.goto(`/projects/${project.id}/review`);
	const main = page.getByRole('main');
	await expect(main).toContainText(
		/Answer to: (Where is my parcel|Can I change my address|Do you ship to Norway)\?/
	);
	expect(await page.content()).not.toContain('teacher-large');
});

test('a bad input file starts nothing and names every bad line', async ({ page, context }) => {
	const db = e2eDb();
	const admin = await ensureUser('distiller', 'admin');
	const project = await createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: `Bad inputs ${Date.now()}` }),
		admin.id
	);
	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/jobs/new`);
	const models = page.getByRole('group', { name: 'Teacher models' }).getByRole('checkbox');
	for (const box of await models.all()) await box.uncheck();
	await page.getByRole('button', { name: 'Start job' }).click();
	await expect(page.getByText('Choose at least one teacher model.')).toBeVisible();

	await models.first().check();
	await page.getByLabel('File of inputs', { exact: true }).setInputFiles({
		name: 'inputs.jsonl',
		mimeType: 'application/jsonl',
		buffer: Buffer.from('{"input": "fine"}\n{"input": \n{"text": "no input"}\n')
	});
	await page.getByRole('button', { name: 'Start job' }).click();
	const problems = page.getByRole('list', { name: 'Problems by line' });
	await expect(problems.getByRole('listitem')).toHaveCount(2);
	await expect(problems).toContainText('Line 2: invalid JSON');
	await expect(problems).toContainText('Line 3:');
	await page.goto(`/projects/${project.id}/jobs`);
	await expect(page.getByRole('heading', { name: 'No jobs yet' })).toBeVisible();
});

test('an admin turns a document into proposed pairs that enter the queue', async ({
	page,
	context
}) => {
	const db = e2eDb();
	const admin = await ensureUser('distiller', 'admin');
	const project = await createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: `Policy pairs ${Date.now()}` }),
		admin.id
	);
	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/jobs/new`);
	await page.getByLabel(`teacher-large (${SEEDED})`).check();
	await page.getByRole('radio', { name: /^Documents/ }).check();
	await page.getByLabel('Documents (text, markdown, PDF or Word)').setInputFiles({
		name: 'policy.md',
		mimeType: 'text/markdown',
		buffer: Buffer.from(
			'# Returns\n\nAny item can be returned within 60 days.\n\n# Shipping\n\nParcels leave within a day.'
		)
	});
	await expect(page.getByLabel('Prompt for the pairs')).toHaveValue(/^Read the passage/);
	await page.getByLabel('Pairs per passage, at most').fill('2');
	await page.getByRole('button', { name: 'Start job' }).click();

	await expect(page.getByRole('heading', { name: /^Progress: Done$/ })).toBeVisible({
		timeout: 20_000
	});
	await expect(page.getByText('100% of 2 items finished')).toBeVisible();
	await expect(page.getByRole('main')).toContainText('passages of policy.md');
	await page.getByRole('link', { name: 'See its examples' }).click();
	await expect(page.getByRole('main')).toContainText('Any item can be returned within 60 days');
});

test('an admin grows a topic tree, edits it and the drafts, then asks for outputs', async ({
	page,
	context
}) => {
	const db = e2eDb();
	const admin = await ensureUser('distiller', 'admin');
	const project = await createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: `Synthetic ${Date.now()}` }),
		admin.id
	);
	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/jobs`);
	await page.getByRole('link', { name: 'Synthetic inputs' }).click();
	await page.getByLabel('Teacher model').selectOption({ label: `teacher-large (${SEEDED})` });
	await page.getByLabel('Root topic').fill('refunds');
	await page.getByLabel('Subtopics per topic').fill('2');
	await page.getByLabel('Levels').fill('1');
	await page.getByLabel('Inputs per leaf').fill('2');
	await page.getByRole('button', { name: 'Propose subtopics' }).click();

	await expect(page.getByRole('heading', { name: 'Topic tree: refunds' })).toBeVisible();
	await expect(page.getByLabel('Topic “refunds 1”')).toHaveValue('refunds 1');
	await page.getByLabel('Topic “refunds 1”').fill('late refunds');
	await page.getByRole('button', { name: 'Rename' }).nth(1).click();
	await expect(page.getByText('Topic renamed.')).toBeVisible();
	await page.getByRole('button', { name: 'Remove “refunds 2”' }).click();
	await expect(page.getByLabel('Topic “refunds 2”')).toHaveCount(0);

	await page.getByRole('button', { name: 'Draft inputs for each leaf' }).click();
	await expect(page.getByRole('heading', { name: 'Drafted inputs (2)' })).toBeVisible();
	// Each branch counts what is under it, and folds away.
	await expect(page.getByLabel('Topic “refunds”')).toHaveAccessibleDescription(
		'1 subtopic · 1 leaf · 2 inputs'
	);
	await expect(page.getByLabel('Topic “late refunds”')).toHaveAccessibleDescription('2 inputs');
	const branch = page.getByRole('button', { name: 'Subtopics of “refunds”' });
	await branch.click();
	await expect(branch).toHaveAttribute('aria-expanded', 'false');
	await expect(page.getByLabel('Topic “late refunds”')).toBeHidden();
	await branch.click();
	await expect(page.getByLabel('Topic “late refunds”')).toBeVisible();
	await page.getByLabel('Input 1').fill('My refund is three weeks late.');
	await page.getByRole('button', { name: 'Save' }).first().click();
	await expect(page.getByText('Input saved.')).toBeVisible();

	await page.getByRole('button', { name: 'Start a job for 2 inputs' }).click();
	await expect(page.getByRole('heading', { name: /^Progress: Done$/ })).toBeVisible({
		timeout: 20_000
	});
	await page.getByRole('link', { name: 'See its examples' }).click();
	await expect(page.getByRole('main')).toContainText('My refund is three weeks late.');
});
