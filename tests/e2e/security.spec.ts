import {
	expect,
	request,
	test,
	type APIRequestContext,
	type APIResponse,
	type Page
} from '@playwright/test';
import { createApiToken } from '../../src/lib/server/apiTokens';
import { freezeDataset } from '../../src/lib/server/datasets';
import { example } from '../../src/lib/server/db/schema';
import { importExamples } from '../../src/lib/server/import';
import { addMember, createProject, getProject } from '../../src/lib/server/projects';
import { datasetFilterSchema } from '../../src/lib/schemas/dataset';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { eq, count } from 'drizzle-orm';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
	acceptEverything,
	BASE_URL,
	e2eDb,
	ensureUser,
	logInAs,
	sessionCookie
} from '../support/e2e';

// Security seen from outside: the headers every answer carries, the Content-Security-Policy of
// pages, requests from other origins riding on a session cookie, and remote images in markdown.

/** Another origin on the same site (cookies are not kept from it), where an attacker's page is. */
const OTHER_ORIGIN = 'http://localhost:4174';
const OUTPUT = [
	'**Bold** answer with a tracker ![tracker](http://images.example.test/pixel.png)',
	'',
	`and raw HTML <img src="https://images.example.test/raw.png" alt="raw"> and a local one ![logo](/favicon.svg).`
].join('\n');

const ids = { project: 0, jsonProject: 0, dataset: 0, admin: '', annotator: '', token: '' };

test.beforeAll(async () => {
	const db = e2eDb();
	const admin = await ensureUser('security-admin', 'admin');
	const annotator = await ensureUser('security-annotator', 'annotator');
	const created = await createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: 'Security' }),
		admin.id
	);
	await addMember(db, created.id, annotator.id);
	const load = async (rows: object[]) => {
		async function* lines() {
			for (const row of rows) yield `${JSON.stringify(row)}\n`;
		}
		await importExamples(db, created, {
			source: lines(),
			format: 'jsonl',
			filename: 'security.jsonl',
			userId: admin.id
		});
	};
	// The admin accepts three plain examples, so a dataset can be frozen and downloaded.
	await load([1, 2, 3].map((i) => ({ input: `q ${i}`, output: `a ${i}` })));
	await acceptEverything(db, created.id, admin.id, 'security');
	const frozen = await freezeDataset(
		db,
		(await getProject(db, created.id))!,
		'security',
		datasetFilterSchema.parse({}),
		admin.id
	);
	if (!frozen.ok) throw new Error(frozen.message);
	// What the annotator is given to review next.
	await load([{ input: 'Show me the markdown', output: OUTPUT }]);
	// A project with a JSON Schema: its review screen checks repairs in the browser.
	const withSchema = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: 'Security JSON',
			outputKind: 'json',
			outputSchema: JSON.stringify({ type: 'object', required: ['answer'] })
		}),
		admin.id
	);
	await addMember(db, withSchema.id, annotator.id);
	async function* jsonLines() {
		yield `${JSON.stringify({ input: 'q', output: { answer: 'a' } })}\n`;
	}
	await importExamples(db, withSchema, {
		source: jsonLines(),
		format: 'jsonl',
		filename: 'schema.jsonl',
		userId: admin.id
	});
	ids.jsonProject = withSchema.id;
	Object.assign(ids, {
		project: created.id,
		dataset: frozen.datasetId,
		admin: admin.id,
		annotator: annotator.id,
		token: (await createApiToken(db, admin.id, 'security script')).token
	});
});

/** A request context as a browser holding a session, sending `origin` as its Origin. */
async function asBrowser(userId: string, origin: string | null = BASE_URL) {
	return request.newContext({
		baseURL: BASE_URL,
		extraHTTPHeaders: {
			cookie: `auth-session=${await sessionCookie(userId)}`,
			...(origin ? { origin } : {})
		}
	});
}

test.describe('every answer', () => {
	const download = () =>
		`/projects/${ids.project}/datasets/${ids.dataset}/download?split=train&format=openai`;
	const kinds: [string, (api: APIRequestContext) => Promise<APIResponse>][] = [
		['a page', (api) => api.get('/projects')],
		['a redirect', (api) => api.get('/login', { maxRedirects: 0 })],
		['a missing page', (api) => api.get('/no-such-page')],
		['an API answer', (api) => api.get('/api/v1/projects')],
		[
			'a refused token',
			(api) => api.get('/api/v1/projects', { headers: { authorization: 'Bearer wnw_wrong' } })
		],
		['a file download', (api) => api.get(download())]
	];
	for (const [kind, send] of kinds) {
		test(`${kind} carries the framing, sniffing and referrer headers`, async () => {
			const api = await asBrowser(ids.admin);
			const headers = (await send(api)).headers();
			expect({
				frame: headers['x-frame-options'],
				sniff: headers['x-content-type-options'],
				referrer: headers['referrer-policy']
			}).toEqual({ frame: 'DENY', sniff: 'nosniff', referrer: 'same-origin' });
			await api.dispose();
		});
	}

	test('a page carries a Content-Security-Policy with a nonce for its scripts', async () => {
		const api = await asBrowser(ids.admin);
		const response = await api.get(`/projects/${ids.project}`);
		expect(response.status()).toBe(200);
		const policy = Object.fromEntries(
			response
				.headers()
				['content-security-policy'].split(';')
				.map((d) => d.trim().split(/\s+/))
				.map(([name, ...values]) => [name, values])
		);
		expect(policy['default-src']).toEqual(["'self'"]);
		expect(policy['script-src'][0]).toBe("'self'");
		expect(policy['script-src']).toContainEqual(expect.stringMatching(/^'nonce-/));
		expect(policy['script-src']).not.toContain("'unsafe-inline'");
		// Ajv's compiled schema checks on the review screen are the one use of eval.
		expect(policy['script-src']).toContain("'unsafe-eval'");
		// Svelte's style attributes need inline styles; scripts get none.
		expect(policy['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
		expect(policy['img-src']).toEqual(["'self'", 'data:']);
		expect(policy['frame-ancestors']).toEqual(["'none'"]);
		expect(policy['base-uri']).toEqual(["'self'"]);
		expect(policy['form-action']).toEqual(["'self'"]);
		expect(policy['object-src']).toEqual(["'none'"]);
		await api.dispose();
	});
});

test.describe('a request from another origin', () => {
	test('cannot log a person out, and a logout from this origin still works', async () => {
		const token = await sessionCookie(ids.annotator);
		const cookie = `auth-session=${token}`;
		const foreign = await request.newContext({
			baseURL: BASE_URL,
			extraHTTPHeaders: { cookie, origin: OTHER_ORIGIN }
		});
		// As a page elsewhere would send it with fetch(…, { mode: 'no-cors' }): no body type.
		const refused = await foreign.post('/logout', { maxRedirects: 0 });
		expect(refused.status()).toBe(403);
		expect(await refused.text()).toMatch(/another origin/i);
		const still = await foreign.get('/projects', { maxRedirects: 0 });
		expect(still.status()).toBe(200);
		await foreign.dispose();

		const own = await request.newContext({
			baseURL: BASE_URL,
			extraHTTPHeaders: { cookie, origin: BASE_URL }
		});
		const loggedOut = await own.post('/logout', { maxRedirects: 0 });
		expect(loggedOut.status()).toBe(303);
		expect(loggedOut.headers()['location']).toBe('/login');
		const after = await own.get('/projects', { maxRedirects: 0 });
		expect(after.headers()['location']).toMatch(/^\/login/);
		await own.dispose();
	});

	test("cannot log out a browser's session from a page of its own", async ({ page, context }) => {
		// A real server on another port: a page the browser fetched itself, not one Playwright
		// made up, so the browser treats its requests as it would an attacker's.
		const elsewhere = createServer((_, response) => {
			response.setHeader('content-type', 'text/html');
			response.end('<!doctype html><title>Elsewhere</title>');
		});
		await new Promise<void>((done) => elsewhere.listen(0, 'localhost', done));
		const { port } = elsewhere.address() as AddressInfo;
		await logInAs(context, ids.annotator);
		await page.goto(`http://localhost:${port}/`);
		const sent = await page.evaluate(async (target) => {
			const answer = await fetch(`${target}/logout`, {
				method: 'POST',
				mode: 'no-cors',
				credentials: 'include'
			});
			return answer.type;
		}, BASE_URL);
		expect(sent).toBe('opaque');
		elsewhere.close();
		await page.goto('/projects');
		await expect(page).toHaveURL(/\/projects$/);
	});

	test('cannot write through the API with a session cookie; a token still can', async () => {
		const db = e2eDb();
		const examplesNow = async () =>
			(
				await db
					.select({ n: count() })
					.from(example)
					.where(eq(example.projectId, ids.project))
					.limit(1)
			)[0]!.n;
		const before = await examplesNow();
		const body = `${JSON.stringify({ input: 'smuggled in', output: 'x' })}\n`;
		const path = `/api/v1/projects/${ids.project}/examples`;

		const foreign = await asBrowser(ids.admin, OTHER_ORIGIN);
		const refused = await foreign.post(path, { data: body });
		expect(refused.status()).toBe(403);
		expect(refused.headers()['content-type']).toMatch(/application\/json/);
		expect(await refused.json()).toEqual({ message: expect.stringMatching(/another origin/i) });
		expect(await examplesNow()).toBe(before);
		// Reading is not refused: a cross-origin page cannot read the answer anyway.
		expect((await foreign.get('/api/v1/projects')).status()).toBe(200);
		await foreign.dispose();

		const own = await asBrowser(ids.admin, BASE_URL);
		expect((await own.post(path, { data: body })).status()).toBe(201);
		await own.dispose();

		const script = await request.newContext({
			baseURL: BASE_URL,
			extraHTTPHeaders: { authorization: `Bearer ${ids.token}`, origin: OTHER_ORIGIN }
		});
		const fromScript = `${JSON.stringify({ input: 'sent by a script', output: 'x' })}\n`;
		expect((await script.post(path, { data: fromScript })).status()).toBe(201);
		await script.dispose();
		expect(await examplesNow()).toBe(before + 2);
	});
});

/** Collects what the browser says about Content-Security-Policy while the page is used. */
function cspViolations(page: Page): string[] {
	const seen: string[] = [];
	page.on('console', (message) => {
		if (/Content Security Policy/i.test(message.text())) seen.push(message.text());
	});
	return seen;
}

test('markdown shows no remote image: the sanitiser drops it and says so', async ({
	page,
	context
}) => {
	const remote: string[] = [];
	await context.route('**/*.example.test/**', (route) => {
		remote.push(route.request().url());
		return route.abort();
	});
	await logInAs(context, ids.annotator);
	await page.goto(`/projects/${ids.project}/review`);
	const output = page.getByRole('region', { name: 'Output' });
	await expect(output).toContainText('tracker');
	// The button appears once the page is alive, and with it the Markdown switch.
	await expect(page.getByRole('button', { name: 'Shortcuts (?)' })).toBeVisible();
	await output.getByRole('checkbox', { name: 'Markdown' }).check();
	await expect(output.locator('strong')).toHaveText('Bold');

	await expect(output.locator('img')).toHaveCount(1);
	await expect(output.getByRole('img', { name: 'logo' })).toHaveAttribute('src', '/favicon.svg');
	await expect(output).toContainText(`[image not loaded: tracker]`);
	await expect(output).toContainText(`[image not loaded: raw]`);
	expect(remote).toEqual([]);
});

test('the pages people use most raise no Content-Security-Policy violation', async ({
	page,
	context
}) => {
	const violations = cspViolations(page);
	// The annotator holds the markdown example since the test above.
	await logInAs(context, ids.annotator);
	await page.goto(`/projects/${ids.project}/review`);
	const output = page.getByRole('region', { name: 'Output' });
	await expect(page.getByRole('button', { name: 'Shortcuts (?)' })).toBeVisible();
	await output.getByRole('checkbox', { name: 'Markdown' }).check();
	await expect(output.locator('strong')).toHaveText('Bold');

	await page.goto(`/projects/${ids.jsonProject}/review`);
	await expect(page.getByRole('button', { name: 'Shortcuts (?)' })).toBeVisible();

	await context.clearCookies();
	await logInAs(context, ids.admin);
	const project = `/projects/${ids.project}`;
	for (const path of [
		'/projects',
		project,
		`${project}/examples`,
		`${project}/agreement`,
		`${project}/datasets`,
		`${project}/datasets/${ids.dataset}`,
		`${project}/iterations`,
		`${project}/jobs`,
		`${project}/settings`,
		'/admin/providers',
		'/admin/users',
		'/account'
	]) {
		const response = await page.goto(path);
		expect(response?.status(), path).toBe(200);
		await expect(page.locator('main')).toBeVisible();
	}
	expect(violations).toEqual([]);
});
