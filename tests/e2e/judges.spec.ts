import { expect, request, test } from '@playwright/test';
import { createApiToken } from '../../src/lib/server/apiTokens';
import { addModel, createProvider } from '../../src/lib/server/providers';
import { acceptedProject, BASE_URL, e2eSecretKey, logInAs } from '../support/e2e';
import { startStandin } from '../support/standin';

test('an admin defines a judge, sees its rubric as sent, and tries it on an output', async ({
	page,
	context
}) => {
	const standin = await startStandin({ judgeCatchRate: 1, judgeFalseFailRate: 0 });
	try {
		const { db, admin, project } = await acceptedProject('Judged');
		const providerName = `Judge stand-in ${project.id}`;
		const provider = await createProvider(db, e2eSecretKey(), {
			name: providerName,
			baseUrl: standin.url,
			apiKey: '',
			requestsPerMinute: null,
			tokensPerMinute: null
		});
		await addModel(db, provider.id, {
			name: 'teacher-large',
			inputPricePerMTok: 1,
			outputPricePerMTok: 2
		});

		await logInAs(context, admin.id);
		await page.goto(`/projects/${project.id}/judges`);
		await expect(page.getByRole('heading', { name: 'No judge yet' })).toBeVisible();
		await page.getByLabel('Name', { exact: true }).fill('Strict');
		await page
			.getByLabel('Model that judges')
			.selectOption({ label: `teacher-large (${providerName})` });
		await page.getByRole('button', { name: 'Create the judge' }).click();
		await expect(page.getByRole('heading', { name: 'Judge: Strict' })).toBeVisible();
		await expect(page.getByLabel('The rubric as it is sent')).toContainText(
			'An output is accepted at "4 stars" or "5 stars".'
		);

		// A rubric must keep the scale.
		await page.getByLabel('Rubric (the judge’s instructions)').fill('Rate it.');
		await page.getByRole('button', { name: 'Save the judge' }).click();
		await expect(page.getByLabel('Rubric (the judge’s instructions)')).toHaveAccessibleDescription(
			/The rubric names no rating scale/
		);

		await page.getByRole('button', { name: 'Ask the judge' }).click();
		const answer = page.getByRole('region', { name: 'The judge’s answer' });
		await expect(answer).toContainText('Overall: 5 stars — The output does what the task asks.');
		await expect(answer).toContainText('Tune question 3?');

		// A run over every output, followed on its job page.
		await page.getByLabel('Outputs to judge').selectOption('all');
		await page.getByRole('button', { name: 'Start the run' }).click();
		await expect(page.getByRole('heading', { name: /^Judge run \d+$/ })).toBeVisible();
		await expect(page.getByRole('heading', { name: 'Progress: Done' })).toBeVisible({
			timeout: 15_000
		});
		await expect(page.getByRole('table', { name: 'Job figures' })).toContainText('Done3');
		await page.goBack();
		await page.reload();
		await expect(page.getByRole('table', { name: 'Runs of this judge' })).toContainText(
			'every output in the project'
		);
		// Measured on the agreement page, on the three outputs people accepted.
		await page.goto(`/projects/${project.id}/agreement`);
		const measured = page.getByRole('region', { name: 'Strict, measured against people' });
		await expect(measured.getByRole('table', { name: 'Strict: agreement' })).toContainText(
			'Outputs rated by both3'
		);
		await expect(measured).toContainText('Not measured yet');
		await page.goBack();

		// Nothing left to judge: said beside the form, and no run is started.
		await page.getByLabel('Outputs to judge').selectOption('all');
		await page.getByRole('button', { name: 'Start the run' }).click();
		await expect(page.getByRole('alert')).toContainText(
			'This judge has rated every output in this selection already (3)'
		);
	} finally {
		await standin.close();
	}
});

test('a script defines a judge, runs it and reads its agreement over the API', async () => {
	const standin = await startStandin({ judgeCatchRate: 1, judgeFalseFailRate: 0 });
	try {
		const { db, admin, project } = await acceptedProject('Judged by API');
		const provider = await createProvider(db, e2eSecretKey(), {
			name: `API judge stand-in ${project.id}`,
			baseUrl: standin.url,
			apiKey: '',
			requestsPerMinute: null,
			tokensPerMinute: null
		});
		const judgeModel = await addModel(db, provider.id, {
			name: 'teacher-large',
			inputPricePerMTok: 1,
			outputPricePerMTok: 2
		});
		const api = await request.newContext({
			baseURL: BASE_URL,
			extraHTTPHeaders: {
				authorization: `Bearer ${(await createApiToken(db, admin.id, 'judge script')).token}`
			}
		});
		const base = `/api/v1/projects/${project.id}/judges`;

		const noScale = await api.post(base, {
			data: { name: 'Bare', modelId: judgeModel.id, rubric: 'Rate it.' }
		});
		expect(noScale.status()).toBe(400);
		expect((await noScale.json()).issues.rubric[0]).toMatch(/^The rubric names no rating scale/);

		const made = await api.post(base, { data: { name: 'Scripted', modelId: judgeModel.id } });
		expect(made.status(), await made.text()).toBe(201);
		const { id } = await made.json();
		expect(
			(await (await api.get(base)).json()).judges.map((j: { name: string }) => j.name)
		).toEqual(['Scripted']);

		const run = await api.post(`${base}/${id}/runs`, { data: { selection: 'all' } });
		expect(run.status(), await run.text()).toBe(201);
		const { jobId, items } = await run.json();
		expect(items).toBe(3);
		await expect
			.poll(
				async () =>
					(await (await api.get(`/api/v1/projects/${project.id}/jobs/${jobId}`)).json()).status,
				{ timeout: 15_000 }
			)
			.toBe('done');
		const read = await (await api.get(`${base}/${id}`)).json();
		expect(read.runs).toEqual([expect.objectContaining({ id: jobId, status: 'done' })]);
		expect(read.agreement.units).toBe(3);
		expect(read.agreement.confusion).toEqual({
			passAccepted: 3,
			passRejected: 0,
			failAccepted: 0,
			failRejected: 0
		});
		const again = await api.post(`${base}/${id}/runs`, { data: { selection: 'all' } });
		expect(again.status()).toBe(400);
		await api.dispose();
	} finally {
		await standin.close();
	}
});
