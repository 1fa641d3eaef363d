import { expect, test } from '@playwright/test';
import { and, asc, count, eq } from 'drizzle-orm';
import { addMember, createProject } from '../../src/lib/server/projects';
import { importExamples } from '../../src/lib/server/import';
import { projectSchema, DEFAULT_PROJECT_VALUES } from '../../src/lib/schemas/project';
import { example, model, provider, review, revision } from '../../src/lib/server/db/schema';
import { BASE_URL, e2eDb, ensureUser, logInAs, sessionCookie } from '../support/e2e';

const SCHEMA = JSON.stringify({
	type: 'object',
	required: ['answer'],
	properties: { answer: { type: 'string', minLength: 1 } },
	additionalProperties: false
});
const MODEL_NAME = 'teacher-model-x9';

async function reviewProject(name: string, rows: number) {
	const db = e2eDb();
	const admin = await ensureUser('review-admin', 'admin');
	const annotator = await ensureUser('rita', 'annotator');
	const created = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name,
			outputKind: 'json',
			outputSchema: SCHEMA,
			requirements: [{ name: 'Helpful', description: 'Answers what was asked.' }]
		}),
		admin.id
	);
	await addMember(db, created.id, annotator.id);
	async function* lines() {
		for (let i = 1; i <= rows; i++) {
			yield `${JSON.stringify({ input: `${name} question ${i}?`, output: { answer: `answer ${i}` } })}\n`;
		}
	}
	await importExamples(db, created, {
		source: lines(),
		format: 'jsonl',
		filename: 'r.jsonl',
		userId: admin.id
	});
	return { project: created, annotator };
}

test('an annotator reviews 10 examples with the keyboard alone', async ({ page, context }) => {
	const { project, annotator } = await reviewProject('Keyboard', 12);
	await logInAs(context, annotator.id);
	await page.goto(`/projects/${project.id}/review`);
	await expect(page.getByRole('button', { name: 'Shortcuts (?)' })).toBeVisible();

	await page.keyboard.press('?');
	await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
	await page.keyboard.press('Escape');
	await expect(page.getByRole('dialog')).toHaveCount(0);

	const input = page.getByRole('region', { name: 'Input' });
	const seen = new Set<string>();
	for (let i = 0; i < 10; i++) {
		const question = (await input.textContent())!;
		expect(seen.has(question)).toBe(false);
		seen.add(question);
		await page.keyboard.press(i % 2 ? '5' : '3');
		// Each key is taken the moment it is pressed, the first straight after the help closes.
		await expect(
			page
				.getByRole('group', { name: /Overall rating/ })
				.getByRole('radio', { name: i % 2 ? '5 stars' : '3 stars' })
		).toBeChecked();
		await page.keyboard.press('j');
		await page.keyboard.press('4');
		if (i === 4) {
			// A repair, from the keyboard too: E takes the cursor to the editor, Ctrl+Enter saves.
			await page.keyboard.press('e');
			await expect(page.getByLabel('Repaired output')).toBeFocused();
			for (const key of ['Control+End', 'ArrowUp', 'End', 'ArrowLeft']) {
				await page.keyboard.press(key);
			}
			await page.keyboard.type(', said kindly');
			await expect(page.getByText('Valid JSON that fits the schema.')).toBeVisible();
			await page.keyboard.press('Control+Enter');
		} else {
			await page.keyboard.press(i % 3 ? 'Enter' : 'a');
		}
		await expect(input).not.toHaveText(question);
	}
	await expect(page.getByText('Reviewed today: 10')).toBeVisible();
	// Two of twelve are left for her: the repaired one waits for someone else's review.
	await expect(page.getByText('Left for you: 2')).toBeVisible();
	// The session's count and pace move with each review.
	await expect(page.getByText(/This session: 10, \d+ s per item/)).toBeVisible();

	// U takes the last review back and puts its example on screen again.
	await expect(page.getByRole('button', { name: 'Undo (U)' })).toBeVisible();
	const onScreen = (await input.textContent())!;
	await page.keyboard.press('u');
	await expect(page.getByRole('status')).toContainText('is back for you to review again');
	await expect(input).not.toHaveText(onScreen);
	await expect(page.getByText('Reviewed today: 9')).toBeVisible();
	await expect(page.getByText(/This session: 9,/)).toBeVisible();
	await page.keyboard.press('4');
	await page.keyboard.press('Enter');
	await expect(page.getByText('Reviewed today: 10')).toBeVisible();

	// Their own figures are a link away.
	await page.getByRole('link', { name: 'My work' }).click();
	await expect(page.getByRole('heading', { name: 'My work' })).toBeVisible();
	await expect(page.getByRole('region', { name: 'Reviews' })).toContainText('10 in all');

	const db = e2eDb();
	await expect
		.poll(
			async () =>
				(
					await db
						.select({ n: count() })
						.from(review)
						.where(eq(review.userId, annotator.id))
						.innerJoin(
							example,
							and(eq(example.id, review.exampleId), eq(example.projectId, project.id))
						)
						.limit(1)
				)[0]!.n
		)
		.toBe(10);
	const settled = await db
		.select({ status: example.status, rating: example.finalRating })
		.from(example)
		.where(and(eq(example.projectId, project.id), eq(example.claimable, false)));
	// The repaired example waits for someone else to review the repair.
	expect(settled).toHaveLength(9);
	const repairs = await db
		.select({ output: revision.output })
		.from(revision)
		.innerJoin(example, eq(example.id, revision.exampleId))
		.where(and(eq(example.projectId, project.id), eq(revision.authorUserId, annotator.id)));
	expect(repairs).toHaveLength(1);
	expect(JSON.parse(repairs[0].output!).answer).toMatch(/, said kindly$/);
	// 3 stars is below the default threshold of 4: Enter rejects it, and A accepts it anyway
	// only as a decision, so those examples are rejected or accepted by the rules.
	expect(settled.filter((e) => e.rating === 5).every((e) => e.status === 'accepted')).toBe(true);
});

test('on a phone the overall rating and the decision are in reach without scrolling', async ({
	browser
}) => {
	const { project, annotator } = await reviewProject('Phone', 3);
	const phone = await browser.newContext({
		viewport: { width: 390, height: 844 },
		isMobile: true,
		hasTouch: true
	});
	await logInAs(phone, annotator.id);
	const page = await phone.newPage();
	await page.goto(`/projects/${project.id}/review`);
	await page.locator('html[data-live]').waitFor({ state: 'attached' });
	const input = page.getByRole('region', { name: 'Input' });
	const first = (await input.textContent())!;

	// Nothing runs off the side, and key hints are not offered to a touch screen.
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
	await expect(page.getByRole('button', { name: 'Shortcuts (?)' })).toBeHidden();
	await expect(page.getByText(/^Enter submits/)).toBeHidden();

	const bar = page.getByRole('group', { name: 'Rate and decide' });
	await expect(bar.getByRole('button', { name: 'Overall 4 stars' })).toBeInViewport({ ratio: 1 });
	await expect(bar.getByRole('button', { name: 'Accept' })).toBeInViewport({ ratio: 1 });
	expect(await page.evaluate(() => window.scrollY)).toBe(0);

	await bar.getByRole('button', { name: 'Overall 4 stars' }).tap();
	// One rating, shared with the panel's row further down.
	await expect(
		page.getByRole('group', { name: 'Overall rating' }).getByRole('radio', { name: '4 stars' })
	).toBeChecked();
	await bar.getByRole('button', { name: 'Accept' }).tap();
	await expect(input).not.toHaveText(first);
	await expect(page.getByText('Reviewed today: 1')).toBeVisible();
	const saved = await e2eDb()
		.select({ rating: review.rating, decision: review.decision })
		.from(review)
		.innerJoin(example, eq(example.id, review.exampleId))
		.where(and(eq(example.projectId, project.id), eq(review.userId, annotator.id)));
	expect(saved).toEqual([{ rating: 4, decision: 'accept' }]);
	await phone.close();
});

test('a repair must be valid JSON, and a valid one becomes a new revision', async ({
	page,
	context
}) => {
	const { project, annotator } = await reviewProject('Repairs', 3);
	await logInAs(context, annotator.id);
	await page.goto(`/projects/${project.id}/review`);
	await expect(page.getByRole('button', { name: 'Shortcuts (?)' })).toBeVisible();

	await page.keyboard.press('2');
	await page.keyboard.press('e');
	// E puts the cursor in the editor, the original beside it, and the changes show as typed.
	const editor = page.getByLabel('Repaired output');
	await expect(editor).toBeFocused();
	await expect(page.getByRole('region', { name: 'Original' })).toContainText('answer 1');
	// The end of the answer's line, inside its closing quote.
	for (const key of ['Control+End', 'ArrowUp', 'End', 'ArrowLeft']) await page.keyboard.press(key);
	await page.keyboard.type(', and more');
	await expect(page.getByText(/Your changes to the original: \+1 line −1 line/)).toBeVisible();
	await editor.fill('{"answer": "fixed"');
	await expect(page.getByText(/^Not valid JSON/)).toBeVisible();
	await expect(page.getByRole('button', { name: 'Save repair' })).toBeDisabled();
	await page.keyboard.press('Control+Enter');
	await expect(page.getByRole('alert')).toContainText('Not valid JSON');

	await editor.fill('{"answer": ""}');
	await expect(page.getByText(/^Does not fit the schema/)).toBeVisible();

	await editor.fill('{"answer": "a fixed answer"}');
	await expect(page.getByText('Valid JSON that fits the schema.')).toBeVisible();
	await page.keyboard.press('Control+Enter');
	const status = page.getByRole('status');
	await expect(status).toContainText(/Repair of example \d+ saved as a new revision\./);
	const exampleId = /example (\d+)/.exec((await status.textContent())!)![1];

	const revisions = await e2eDb()
		.select()
		.from(revision)
		.where(eq(revision.exampleId, Number(exampleId)))
		// PostgreSQL returns rows in no set order without one.
		.orderBy(asc(revision.number));
	expect(revisions.map((r) => r.output)).toEqual([
		'{"answer":"answer 1"}',
		'{"answer":"a fixed answer"}'
	]);

	await page.goto(`/projects/${project.id}/examples/${exampleId}`);
	await expect(page.getByText(/Revision 2/).first()).toBeVisible();
	await expect(page.getByText('a fixed answer').first()).toBeVisible();
});

test('the review page and its data never name the model or the source', async ({ request }) => {
	const { project, annotator } = await reviewProject('Blind', 2);
	const db = e2eDb();
	const teacher = (
		await db.transaction(async (tx) =>
			tx
				.insert(provider)
				.values({
					name: 'Teacher provider',
					baseUrl: 'http://localhost:1/v1',
					createdAt: new Date()
				})
				.returning()
		)
	)[0];
	const written = (
		await db.transaction(async (tx) =>
			tx
				.insert(model)
				.values({ providerId: teacher.id, name: MODEL_NAME, createdAt: new Date() })
				.returning()
		)
	)[0];
	const ids = await db
		.select({ id: example.id, revisionId: example.currentRevisionId })
		.from(example)
		.where(eq(example.projectId, project.id));
	for (const row of ids) {
		await db.transaction(async (tx) =>
			tx.update(example).set({ source: 'distillation' }).where(eq(example.id, row.id))
		);
		await db.transaction(async (tx) =>
			tx
				.update(revision)
				.set({ authorKind: 'model', authorModelId: written.id })
				.where(eq(revision.id, row.revisionId!))
		);
	}
	const headers = { cookie: `auth-session=${await sessionCookie(annotator.id)}`, origin: BASE_URL };
	const responses = [
		await request.get(`/projects/${project.id}/review`, { headers }),
		await request.get(`/projects/${project.id}/review/__data.json`, { headers }),
		await request.post(`/projects/${project.id}/review/next`, { headers, data: { skip: [] } })
	];
	for (const response of responses) {
		expect(response.status()).toBe(200);
		const body = await response.text();
		expect(body).toContain('Blind question');
		expect(body).not.toContain(MODEL_NAME);
		expect(body).not.toContain(teacher.name);
		expect(body.toLowerCase()).not.toContain('distillation');
	}
});

test.describe('without JavaScript', () => {
	test.use({ javaScriptEnabled: false });

	test('the review form still rates, submits and serves the next example', async ({
		page,
		context
	}) => {
		const { project, annotator } = await reviewProject('No script', 3);
		await logInAs(context, annotator.id);
		await page.goto(`/projects/${project.id}/review`);
		const input = page.getByRole('region', { name: 'Input' });
		const first = (await input.textContent())!;

		await page
			.getByRole('group', { name: 'Overall rating' })
			.getByText('5', { exact: true })
			.click();
		await page.getByRole('button', { name: /^Accept/ }).click();
		await expect(page.getByRole('status')).toContainText('Saved.');
		await expect(input).not.toHaveText(first);

		await page.getByRole('button', { name: /^Accept/ }).click();
		// The browser itself asks for the required rating before anything is sent.
		await expect(page.getByText('Reviewed today: 1')).toBeVisible();
		const reviews = (
			await e2eDb()
				.select({ n: count() })
				.from(review)
				.innerJoin(example, eq(example.id, review.exampleId))
				.where(eq(example.projectId, project.id))
		)[0]!.n;
		expect(reviews).toBe(1);
	});
});
