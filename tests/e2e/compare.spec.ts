import { expect, request, test, type Page } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { comparisonJudgment, example, revision } from '../../src/lib/server/db/schema';
import { addMember, createProject } from '../../src/lib/server/projects';
import { importExamples } from '../../src/lib/server/import';
import { queueComparisons } from '../../src/lib/server/comparisons';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { createApiToken } from '../../src/lib/server/apiTokens';
import { BASE_URL, e2eDb, ensureUser, logInAs } from '../support/e2e';

/** Four inputs, each answered well and poorly, queued as four comparisons. */
async function comparedProject() {
	const db = e2eDb();
	const admin = await ensureUser('compare-admin', 'admin');
	const annotator = await ensureUser('compare-annotator', 'annotator');
	const project = await createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: `Compare ${Date.now()}` }),
		admin.id
	);
	await addMember(db, project.id, annotator.id);
	async function* rows() {
		for (let i = 0; i < 4; i++) {
			yield (
				JSON.stringify({ input: `Compared question ${i}`, output: `A good answer ${i}` }) + '\n'
			);
			yield JSON.stringify({ input: `Compared question ${i}`, output: `poor ${i}` }) + '\n';
		}
	}
	const imported = await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'compare.jsonl',
		userId: admin.id
	});
	expect(imported.ok).toBe(true);
	const outputs = await db
		.select({ id: example.id, revisionId: example.currentRevisionId })
		.from(example)
		.where(eq(example.projectId, project.id))
		.orderBy(example.id);
	const pairs = [0, 2, 4, 6].map((i) => ({
		first: { exampleId: outputs[i].id, revisionId: outputs[i].revisionId! },
		second: { exampleId: outputs[i + 1].id, revisionId: outputs[i + 1].revisionId! }
	}));
	expect(await queueComparisons(db, project, pairs, admin.id, new Date())).toMatchObject({
		ok: true,
		created: 4
	});
	return { admin, annotator, project };
}

/** The key that picks the good answer, wherever this person sees it. */
async function goodKey(page: Page) {
	const a = await page.getByRole('region', { name: 'A', exact: true }).textContent();
	return a!.includes('A good answer') ? 'a' : 'b';
}

test('comparisons are judged from the keyboard: A or B, a tie, a repair of the better one, undo', async ({
	page,
	context
}) => {
	const db = e2eDb();
	const { admin, annotator, project } = await comparedProject();
	await logInAs(context, annotator.id);
	await page.goto(`/projects/${project.id}`);
	await page
		.getByRole('navigation', { name: 'Project' })
		.getByRole('link', { name: 'Compare' })
		.click();
	await expect(page.getByRole('button', { name: 'Shortcuts (?)' })).toBeVisible();
	const input = page.getByRole('region', { name: 'Input' });
	const question = async () => (await input.textContent())!.match(/Compared question \d/)![0];

	// The better one, clearly.
	const first = await question();
	await page.keyboard.press(await goodKey(page));
	await page.keyboard.press('2');
	await expect(page.getByRole('radio', { name: 'Clearly' })).toBeChecked();
	await page.keyboard.press('Enter');
	await expect(page.getByRole('status')).toContainText('Saved comparison');
	await expect(input).not.toContainText(first);

	// A tie.
	const second = await question();
	await page.keyboard.press('t');
	await expect(page.getByRole('radio', { name: 'Neither: a tie' })).toBeChecked();
	await page.keyboard.press('Enter');
	await expect(input).not.toContainText(second);

	// The better one, repaired.
	const third = await question();
	await page.keyboard.press(await goodKey(page));
	await page.keyboard.press('e');
	const repair = page.getByRole('textbox', { name: /^Repaired [AB]$/ });
	await expect(repair).toHaveValue(/A good answer \d/);
	await repair.fill('A better answer, repaired');
	await page.keyboard.press('Escape');
	// Choosing the other side leaves the repair; choosing back returns to it as it was.
	const good = await goodKey(page);
	await page.keyboard.press(good === 'a' ? 'b' : 'a');
	await expect(repair).toHaveCount(0);
	await page.keyboard.press(good);
	await expect(repair).toHaveValue('A better answer, repaired');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('status')).toContainText('with the repair as a new revision');
	await expect(input).not.toContainText(third);

	// The last, then taken back with U and judged again.
	const fourth = await question();
	await page.keyboard.press('b');
	await page.keyboard.press('Enter');
	await expect(page.getByText('Nothing to compare right now')).toBeVisible();
	await page.keyboard.press('u');
	await expect(page.getByRole('status')).toContainText('taken back');
	await expect(input).toContainText(fourth);
	await page.keyboard.press('a');
	await page.keyboard.press('Enter');
	await expect(page.getByText('Nothing to compare right now')).toBeVisible();
	await expect(page.getByText('Judged today: 4')).toBeVisible();

	const judgments = await db
		.select()
		.from(comparisonJudgment)
		.where(eq(comparisonJudgment.userId, annotator.id))
		.orderBy(comparisonJudgment.id);
	expect(judgments.map((j) => [j.preferred, j.strength])).toEqual([
		['first', 2],
		['tie', null],
		['first', null],
		[judgments[3].firstOnLeft ? 'first' : 'second', null]
	]);
	const repaired = await db
		.select({ output: revision.output, authorKind: revision.authorKind })
		.from(revision)
		.where(eq(revision.id, judgments[2].repairRevisionId!));
	expect(repaired).toEqual([{ output: 'A better answer, repaired', authorKind: 'user' }]);

	// The admin reads the comparisons on the agreement page.
	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/agreement`);
	const people = page.getByRole('table', { name: 'Comparisons per annotator' });
	await expect(people.getByRole('row', { name: /Compare-annotator/ })).toContainText('4');
});

test('a script queues comparisons over the API, is refused an output with itself, and reads them back', async () => {
	const db = e2eDb();
	const { admin, project } = await comparedProject();
	const api = await request.newContext({
		baseURL: BASE_URL,
		extraHTTPHeaders: {
			authorization: `Bearer ${(await createApiToken(db, admin.id, 'compare script')).token}`
		}
	});
	const base = `/api/v1/projects/${project.id}/comparisons`;
	const listed = await (await api.get(base)).json();
	expect(listed.comparisons).toHaveLength(4);
	expect(listed.figures.counts).toEqual({ open: 4, settled: 0, disputed: 0 });
	const [one] = listed.comparisons;
	const first = { exampleId: one.firstExampleId, revisionId: one.firstRevisionId };

	const self = await api.post(base, { data: { pairs: [{ first, second: first }] } });
	expect(self.status()).toBe(400);
	expect((await self.json()).message).toBe('An output cannot be compared with itself.');
	const shapeless = await api.post(base, { data: { modelIds: [1] } });
	expect(shapeless.status()).toBe(400);
	expect((await shapeless.json()).message).toBe('The comparisons have a problem.');
	// The same two outputs the other way round are queued already.
	const again = await api.post(base, {
		data: {
			pairs: [
				{
					first: { exampleId: one.secondExampleId, revisionId: one.secondRevisionId },
					second: first
				}
			]
		}
	});
	expect(again.status()).toBe(201);
	expect(await again.json()).toEqual({ created: 0, alreadyQueued: 1, identical: 0 });
	expect((await (await api.get(base)).json()).comparisons).toHaveLength(4);

	// Gold, over the API and on the admins' list.
	const gold = await api.post(`${base}/${one.id}/gold`, { data: { gold: 'first' } });
	expect(gold.status()).toBe(200);
	const badGold = await api.post(`${base}/${one.id}/gold`, { data: { gold: 'left' } });
	expect(badGold.status()).toBe(400);
	expect((await api.post(`${base}/999999/gold`, { data: { gold: null } })).status()).toBe(404);
	expect((await (await api.get(base)).json()).comparisons[0].gold).toBe('first');
});

test('an admin makes a comparison gold from the list of comparisons', async ({ page, context }) => {
	const { admin, project } = await comparedProject();
	await logInAs(context, admin.id);
	await page.goto(`/projects/${project.id}/agreement`);
	await page.getByRole('link', { name: 'Every comparison, and gold ones' }).click();
	const list = page.getByRole('table', { name: 'Comparisons' });
	await expect(list.getByRole('row')).toHaveCount(5);
	const row = list.getByRole('row').nth(2);
	await row.getByRole('combobox').selectOption('second');
	await row.getByRole('button', { name: 'Save' }).click();
	await page.reload();
	await expect(list.getByRole('row').nth(2).getByRole('combobox')).toHaveValue('second');
});

test("an admin's fifteen project tabs fit one row at 1,366 px, in three groups", async ({
	browser
}) => {
	const { admin, project } = await comparedProject();
	const laptop = await browser.newContext({ viewport: { width: 1366, height: 768 } });
	await logInAs(laptop, admin.id);
	const page = await laptop.newPage();
	await page.goto(`/projects/${project.id}/adjudication`);
	const nav = page.getByRole('navigation', { name: 'Project' });
	await expect(nav.getByRole('group')).toHaveText([
		/^Overview\s*Review\s*Compare\s*Examples\s*Adjudication\s*Agreement$/,
		/^Import\s*Jobs\s*Judges\s*Export\s*Fine-tunes\s*Iterations\s*Playground$/,
		/^Members\s*Settings$/
	]);
	const tabs = await nav.getByRole('link').all();
	expect(tabs).toHaveLength(15);
	const tops = new Set<number>();
	for (const tab of tabs) tops.add(Math.round((await tab.boundingBox())!.y));
	expect([...tops]).toHaveLength(1);
	await laptop.close();
});
