import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { createProject } from '../../src/lib/server/projects';
import {
	DEFAULT_PROJECT_VALUES,
	projectSchema,
	type ProjectFormValues
} from '../../src/lib/schemas/project';
import { addModel, createProvider } from '../../src/lib/server/providers';
import { e2eSecretKey, e2eDb, ensureUser, logInAs } from '../support/e2e';
import { startStandin, type Standin } from '../support/standin';

let standin: Standin;
/** Named afresh each run: a retried beforeAll must not make two providers of one name. */
const PROVIDER = `Playground stand-in ${Date.now()}`;
const MODEL = `teacher-large (${PROVIDER})`;

test.beforeAll(async () => {
	standin = await startStandin({ latencyMs: 40, apiKey: 'sk-standin-e2e' });
	// Sealed with the server's own secret, as the providers page would seal it.
	const db = e2eDb();
	const seeded = await createProvider(db, e2eSecretKey(), {
		name: PROVIDER,
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

/** A new project of the given kind, and its playground opened by an admin. */
async function openPlayground(
	page: Page,
	context: BrowserContext,
	definition: Partial<ProjectFormValues>
) {
	const admin = await ensureUser('player', 'admin');
	const project = await createProject(
		e2eDb(),
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `Playground ${Date.now()}`,
			...definition
		}),
		admin.id
	);
	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/playground`);
}

test('an admin tries a model on an input and sees its output, tokens and the prompt', async ({
	page,
	context
}) => {
	await openPlayground(page, context, { instruction: 'Answer the customer politely.' });
	await expect(page.getByRole('heading', { name: 'Playground', level: 1 })).toBeVisible();

	await page.getByRole('checkbox', { name: MODEL }).check();
	await page.getByLabel('Input', { exact: true }).fill('Where is my parcel?');
	await page.getByRole('button', { name: 'Run' }).click();

	const result = page.getByRole('article', { name: MODEL });
	await expect(result.getByRole('region', { name: `Output of ${MODEL}` })).toHaveText(
		'Answer to: Where is my parcel?'
	);
	const figures = result.getByRole('table', { name: `Figures of ${MODEL}` });
	await expect(figures.getByRole('row', { name: /^Input tokens \d+$/ })).toBeVisible();
	await expect(figures.getByRole('row', { name: /^Output tokens \d+$/ })).toBeVisible();
	await expect(figures.getByRole('row', { name: /^Cost / })).toBeVisible();
	await expect(figures.getByRole('row', { name: /^Latency \d+ ms$/ })).toBeVisible();
	await expect(page.getByText('1 of 1 model answered.')).toBeVisible();
	// The input and the chosen model stay for the next try.
	await expect(page.getByLabel('Input', { exact: true })).toHaveValue('Where is my parcel?');
	await expect(page.getByRole('checkbox', { name: MODEL })).toBeChecked();

	await page.getByText('Prompt', { exact: true }).click();
	await expect(page.getByRole('region', { name: 'System prompt' })).toContainText(
		'Answer the customer politely.'
	);
	// The key never comes back to the browser.
	expect(await page.content()).not.toContain('sk-standin-e2e');
});

test('a JSON input that is not JSON is refused beside the field; a good one is answered', async ({
	page,
	context
}) => {
	await openPlayground(page, context, {
		inputKind: 'json',
		outputKind: 'json',
		outputSchema: JSON.stringify({
			type: 'object',
			required: ['answer'],
			properties: { answer: { type: 'string' } }
		})
	});
	const input = page.getByLabel('Input', { exact: true });

	// The page ticks the only model there is; with others seeded before, it ticks none.
	await page.getByRole('checkbox', { name: MODEL }).uncheck();
	await page.getByRole('button', { name: 'Run' }).click();
	await expect(page.getByText('Choose at least one model.')).toBeVisible();
	await expect(page.getByRole('alert')).toHaveText(/2 fields need your attention/);

	await page.getByRole('checkbox', { name: MODEL }).check();
	await input.fill('where is it?');
	await page.getByRole('button', { name: 'Run' }).click();
	await expect(input).toHaveAccessibleDescription(/this is not valid JSON/);
	await expect(input).toHaveValue('where is it?');

	await input.fill('{"question": "where is it?"}');
	await page.getByRole('button', { name: 'Run' }).click();
	const result = page.getByRole('article', { name: MODEL });
	// Pretty-printed, of the input as it was sent: compact.
	await expect(result.getByRole('region', { name: `Output of ${MODEL}` })).toHaveText(
		/^\{\n {2}"answer": "answer \{\\"question\\":\\"where is it\?\\"\}"\n\}$/
	);
	await expect(result.getByText('Fits the schema.')).toBeVisible();
});
