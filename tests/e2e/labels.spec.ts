import { expect, request, test } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { example, revision } from '../../src/lib/server/db/schema';
import { addMember, createProject } from '../../src/lib/server/projects';
import { importExamples } from '../../src/lib/server/import';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { createApiToken } from '../../src/lib/server/apiTokens';
import { addModel, createProvider } from '../../src/lib/server/providers';
import { BASE_URL, e2eDb, e2eSecretKey, ensureUser, logInAs } from '../support/e2e';
import { annotatorSession, until, workQueue } from '../support/sessions';
import { startStandin } from '../support/standin';

test('labels are chosen from the keyboard: the output’s label accepted, another chosen as a repair', async ({
	page,
	context
}) => {
	const db = e2eDb();
	const admin = await ensureUser('labels-admin', 'admin');
	const annotator = await ensureUser('labels-annotator', 'annotator');
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `Intents ${Date.now()}`,
			outputKind: 'labels',
			labels: 'billing | b | Invoices and refunds\nshipping | h | Where a parcel is\nother | o',
			ratingScale: 'pass_fail'
		}),
		admin.id
	);
	await addMember(db, project.id, annotator.id);
	async function* rows() {
		yield '{"input": "I was charged twice.", "output": "billing"}\n';
		yield '{"input": "My parcel is late.", "output": "billing"}\n';
	}
	const imported = await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'intents.jsonl',
		userId: admin.id
	});
	expect(imported.ok).toBe(true);

	await logInAs(context, annotator.id);
	await page.goto(`/projects/${project.id}/review`);
	await expect(page.getByRole('button', { name: 'Shortcuts (?)' })).toBeVisible();
	const labels = page.getByRole('region', { name: 'Labels' });
	await expect(labels.getByRole('button', { name: 'B billing' })).toHaveAttribute(
		'aria-pressed',
		'true'
	);
	await expect(page.getByText('I was charged twice.')).toBeVisible();
	// The output's label is right: pass, Enter.
	await page.keyboard.press('p');
	await page.keyboard.press('Enter');
	await expect(page.getByText('My parcel is late.')).toBeVisible();

	// The second is wrong: H chooses shipping, and Enter saves the choice as a repair.
	await page.keyboard.press('h');
	await expect(labels.getByRole('button', { name: 'H shipping' })).toHaveAttribute(
		'aria-pressed',
		'true'
	);
	await expect(labels.getByRole('button', { name: 'B billing' })).toHaveAttribute(
		'aria-pressed',
		'false'
	);
	await expect(labels).toContainText('Enter saves it as a repair');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('status')).toContainText(/saved as a new revision/);

	const outputs = await db
		.select({ input: example.input, output: revision.output, status: example.status })
		.from(example)
		.innerJoin(revision, eq(revision.id, example.currentRevisionId))
		.where(eq(example.projectId, project.id));
	expect(outputs.find((o) => o.input === 'My parcel is late.')?.output).toBe(
		'{"labels":["shipping"]}'
	);
	expect(outputs.find((o) => o.input === 'I was charged twice.')?.status).toBe('accepted');
});

test('a label project through the loop: distilled, reviewed by keys, agreed on, frozen, fine-tuned, and its student scored label by label', async ({
	page,
	context
}) => {
	test.setTimeout(180_000);
	const standin = await startStandin({ latencyMs: 5, fineTuneSeconds: 1.2, apiKey: 'sk-labels' });
	try {
		const db = e2eDb();
		const admin = await ensureUser('labels-admin', 'admin');
		const people = [
			await ensureUser('labels-annotator', 'annotator'),
			await ensureUser('labels-checker', 'annotator'),
			await ensureUser('labels-third', 'annotator')
		];
		const project = await createProject(
			db,
			projectSchema.parse({
				...DEFAULT_PROJECT_VALUES,
				name: `Intent loop ${Date.now()}`,
				outputKind: 'labels',
				labels: 'billing | b | Invoices and refunds\nshipping | h | Where a parcel is\nother | o',
				ratingScale: 'pass_fail',
				reviewsRequired: '2',
				splitTrain: '60',
				splitVal: '10',
				splitTest: '30'
			}),
			admin.id
		);
		for (const person of people) await addMember(db, project.id, person.id);
		const provider = await createProvider(db, e2eSecretKey(), {
			name: `Labels stand-in ${project.id}`,
			baseUrl: standin.url,
			apiKey: 'sk-labels',
			requestsPerMinute: null,
			tokensPerMinute: null
		});
		const teacher = await addModel(db, provider.id, {
			name: 'teacher-large',
			inputPricePerMTok: 1,
			outputPricePerMTok: 4
		});
		const api = await request.newContext({
			baseURL: BASE_URL,
			extraHTTPHeaders: {
				authorization: `Bearer ${(await createApiToken(db, admin.id, 'labels loop')).token}`
			}
		});
		const base = `/api/v1/projects/${project.id}`;

		// Distil: the teacher labels 30 messages, choosing from the set.
		const distilled = await api.post(`${base}/jobs`, {
			data: {
				modelIds: [teacher.id],
				inputs: Array.from({ length: 30 }, (_, i) => `Customer message ${i}`)
			}
		});
		expect(distilled.status(), await distilled.text()).toBe(201);
		const jobId = (await distilled.json()).id;
		await until(
			async () => (await (await api.get(`${base}/jobs/${jobId}`)).json()).status,
			(status) => status === 'done',
			'the distillation'
		);

		// Review by keys: the first annotator passes three teacher labels from the keyboard.
		await logInAs(context, people[0].id);
		await page.goto(`/projects/${project.id}/review`);
		await expect(page.getByRole('button', { name: 'Shortcuts (?)' })).toBeVisible();
		const input = page.getByRole('region', { name: 'Input' });
		for (let i = 0; i < 3; i++) {
			const shown = (await input.textContent())!;
			await expect(
				page.getByRole('region', { name: 'Labels' }).locator('[aria-pressed="true"]')
			).toHaveCount(1);
			await page.keyboard.press('p');
			await page.keyboard.press('Enter');
			await expect(input).not.toHaveText(shown);
		}
		await expect(page.getByText('Reviewed today: 3')).toBeVisible();

		// The rest over the review screen's requests: the checker puts every fourth label it is
		// served right to another label, the others accept; the third reviews the repairs.
		const sessions = await Promise.all(people.map((p) => annotatorSession(p.id)));
		let served = 0;
		const other = (output: string | null) =>
			output?.includes('"other"') ? '{"labels":["billing"]}' : '{"labels":["other"]}';
		for (let round = 0; round < 3; round++) {
			await workQueue(sessions[0], project.id, [], () => ({ rating: 1, decision: 'accept' }));
			await workQueue(sessions[1], project.id, [], (found) =>
				++served % 4 === 0
					? { rating: 0, decision: 'repair', output: other(found.output) }
					: { rating: 1, decision: 'accept' }
			);
			await workQueue(sessions[2], project.id, [], () => ({ rating: 1, decision: 'accept' }));
		}

		// Agreement, label by label, as the admin reads it.
		await logInAs(context, admin.id);
		await page.goto(`/projects/${project.id}/agreement`);
		const perLabel = page.getByRole('table', { name: 'Agreement per label' });
		await expect(perLabel.getByRole('row')).toHaveCount(4);
		await expect(perLabel.getByRole('row', { name: /^other/ })).toContainText(
			/\d\.\d{3} \(-?\d\.\d{3} to \d\.\d{3}\)/
		);
		await expect(page.getByRole('table', { name: 'Labels against the majority' })).toBeVisible();

		// Freeze, fine-tune and evaluate the student on the held-out inputs.
		const started = await api.post(`${base}/iterations`, {
			data: {
				name: 'intents1',
				fineTune: {
					adapter: 'openai',
					providerId: provider.id,
					baseModel: 'base-small',
					epochs: 1,
					suffix: 'intents1'
				},
				evaluation: { splits: ['test'] }
			}
		});
		expect(started.status(), await started.text()).toBe(201);
		const { iterationId } = await started.json();
		await until(
			async () => (await (await api.get(`${base}/iterations`)).json()).iterations,
			(list: { iteration: { id: number }; evaluation: { status: string } | null }[]) =>
				list.find((it) => it.iteration.id === iterationId)?.evaluation?.status === 'done',
			'the iteration'
		);
		// The training file's answers are label names.
		const trainingFile = standin.uploads.find((u) => u.filename.includes('-train'))!;
		const answers = trainingFile.content
			.split('\n')
			.filter(Boolean)
			.map((line) => JSON.parse(line).messages.at(-1).content);
		expect(answers.length).toBeGreaterThan(0);
		for (const answer of answers) expect(['billing', 'shipping', 'other']).toContain(answer);

		// People settle the student's labels: the checker corrects every other one.
		for (let round = 0; round < 3; round++) {
			await workQueue(sessions[0], project.id, [], () => ({ rating: 1, decision: 'accept' }));
			await workQueue(sessions[1], project.id, [], (found) =>
				++served % 2 === 0
					? { rating: 0, decision: 'repair', output: other(found.output) }
					: { rating: 1, decision: 'accept' }
			);
			await workQueue(sessions[2], project.id, [], () => ({ rating: 1, decision: 'accept' }));
		}
		const { figures } = await (await api.get(`${base}/iterations`)).json();
		const student = figures.models.find((m: { trainedOn: unknown }) => m.trainedOn !== null) as {
			name: string;
			labelScores: { units: number; macroF1: { value: unknown } };
		};
		expect(student.labelScores.units).toBeGreaterThan(0);
		expect(student.labelScores.macroF1.value).not.toBeNull();

		await page.goto(`/projects/${project.id}/iterations`);
		const scores = page.getByRole('table', { name: `Labels of ${student.name}` });
		await expect(scores.getByRole('row')).toHaveCount(4);
		await expect(scores).toContainText(/macro-F1 \d\.\d{2} \(\d\.\d{2}–\d\.\d{2}\)/);
	} finally {
		await standin.close();
	}
});
