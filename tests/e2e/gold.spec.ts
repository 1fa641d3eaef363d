import { expect, test } from '@playwright/test';
import { asc, eq } from 'drizzle-orm';
import { addMember, createProject } from '../../src/lib/server/projects';
import { importExamples } from '../../src/lib/server/import';
import { claimNext } from '../../src/lib/server/queue';
import { submitReview } from '../../src/lib/server/reviews';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { example, project as projectTable } from '../../src/lib/server/db/schema';
import { e2eDb, ensureUser, logInAs } from '../support/e2e';

async function goldProject() {
	const db = e2eDb();
	const admin = await ensureUser('goldsmith', 'admin');
	const gus = await ensureUser('gus', 'annotator');
	const created = await createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: `Arithmetic ${Date.now()}` }),
		admin.id
	);
	await addMember(db, created.id, gus.id);
	async function* rows() {
		yield '{"input": "What is 2 + 2?", "output": "4"}\n';
		yield '{"input": "What is the capital of France?", "output": "Paris"}\n';
	}
	await importExamples(db, created, {
		source: rows(),
		format: 'jsonl',
		filename: 'gold.jsonl',
		userId: admin.id
	});
	const [first] = await db
		.select({ id: example.id })
		.from(example)
		.where(eq(example.projectId, created.id))
		.orderBy(asc(example.id));
	return { project: created, admin, gus, goldId: first.id };
}

test('an admin mixes gold into the queue and sees each annotator measured against it', async ({
	page,
	context
}) => {
	const { project, admin, gus, goldId } = await goldProject();
	await logInAs(context, admin.id);

	await page.goto(`/projects/${project.id}/settings`);
	const share = page.getByLabel('Gold examples mixed in (% of what each annotator is served)');
	await share.fill('80');
	await page.getByRole('button', { name: 'Save queue settings' }).click();
	// The browser holds back a share over the field's maximum; the server refuses it too.
	expect(await share.evaluate((input: HTMLInputElement) => input.validity.rangeOverflow)).toBe(
		true
	);
	await expect(page.getByText('Queue settings saved.')).toHaveCount(0);
	await share.fill('50');
	await page.getByRole('button', { name: 'Save queue settings' }).click();
	await expect(page.getByText('Queue settings saved.')).toBeVisible();

	await page.goto(`/projects/${project.id}/examples/${goldId}`);
	await page.getByLabel('True rating').selectOption({ label: '4 stars' });
	await page.getByRole('button', { name: 'Mark as gold' }).click();
	await expect(page.getByText('Gold example, true rating 4 stars.')).toBeVisible();
	await expect(page.getByRole('button', { name: 'Re-queue for fresh reviews' })).toHaveCount(0);

	// Gus is served the gold example (the roll falls under the 50% rate) and rates it 5.
	const db = e2eDb();
	expect(
		(await db.select().from(projectTable).where(eq(projectTable.id, project.id)).limit(1))[0]
			?.goldRate
	).toBe(0.5);
	const now = new Date();
	const claimed = (await claimNext(db, project.id, gus.id, now, [], undefined, 0))!;
	expect(claimed.exampleId).toBe(goldId);
	const reviewed = await submitReview(
		db,
		project.id,
		gus.id,
		{
			exampleId: claimed.exampleId,
			revisionId: claimed.revisionId,
			rating: 5,
			decision: 'accept',
			requirementRatings: new Map(),
			submissionKey: `gold-${project.id}`
		},
		now
	);
	expect(reviewed.ok).toBe(true);

	await page.goto(`/projects/${project.id}/agreement`);
	const row = page.getByRole('table', { name: 'Annotators' }).getByRole('row', { name: /^Gus/ });
	await expect(row.getByRole('cell').nth(8)).toHaveText('1');
	await expect(row.getByRole('cell').nth(9)).toContainText('0.0%');
	await expect(row.getByRole('cell').nth(9)).toContainText('100.0% within one star');
	await expect(
		page.getByRole('table', { name: 'Outcomes' }).getByRole('row', { name: 'Gold examples 1' })
	).toBeVisible();

	// Annotators are not told which examples are gold.
	await context.clearCookies();
	await logInAs(context, gus.id);
	await page.goto(`/projects/${project.id}/examples/${goldId}`);
	await expect(page.getByRole('heading', { name: `Example ${goldId}` })).toBeVisible();
	await expect(page.getByRole('main')).not.toContainText('Gold');
});

test('what is typed, ticked or chosen while the page is still loading is kept when the page comes alive', async ({
	page,
	context
}) => {
	const { project, admin } = await goldProject();
	await logInAs(context, admin.id);
	// Hold the page's scripts back so that the field is typed into before hydration.
	let releaseScripts = () => {};
	const scriptsReleased = new Promise<void>((resolve) => (releaseScripts = resolve));
	await page.route('**/_app/immutable/**/*.js', async (route) => {
		await scriptsReleased;
		await route.continue();
	});

	await page.goto(`/projects/${project.id}/settings`, { waitUntil: 'commit' });
	const share = page.getByLabel('Gold examples mixed in (% of what each annotator is served)');
	await expect(share).toHaveValue('0');
	await share.fill('7');
	const counts = page.getByLabel(
		"A repairer's own review counts toward the repaired revision's reviews"
	);
	const countedBefore = await counts.isChecked();
	await counts.click();
	const order = page.getByLabel('Order');
	await expect(order).toHaveValue('oldest');
	await order.selectOption({ label: 'Random order' });
	releaseScripts();
	await page.waitForLoadState('networkidle');
	await expect(share).toHaveValue('7');
	expect(await counts.isChecked()).toBe(!countedBefore);
	await expect(order).toHaveValue('random');
	await page.getByRole('button', { name: 'Save queue settings' }).click();
	await expect(page.getByText('Queue settings saved.')).toBeVisible();
	const saved = (
		await e2eDb().select().from(projectTable).where(eq(projectTable.id, project.id))
	)[0];
	expect(saved?.goldRate).toBe(0.07);
	expect(saved?.repairerReviewCounts).toBe(!countedBefore);
	expect(saved?.queueOrder).toBe('random');
});
