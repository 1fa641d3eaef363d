import { expect, request, test } from '@playwright/test';
import { addMember, createProject } from '../../src/lib/server/projects';
import { createApiToken } from '../../src/lib/server/apiTokens';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { BASE_URL, e2eDb, ensureUser, logInAs } from '../support/e2e';

async function apiAs(token: string | null) {
	return request.newContext({
		baseURL: BASE_URL,
		extraHTTPHeaders: token ? { authorization: `Bearer ${token}` } : {}
	});
}

async function setup() {
	const db = e2eDb();
	const admin = await ensureUser('api-admin', 'admin');
	const annotator = await ensureUser('api-annotator', 'annotator');
	const project = createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: `API ${Date.now()}` }),
		admin.id
	);
	addMember(db, project.id, annotator.id);
	return {
		project,
		admin,
		annotator,
		adminToken: createApiToken(db, admin.id, 'admin script').token,
		annotatorToken: createApiToken(db, annotator.id, 'annotator script').token
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
