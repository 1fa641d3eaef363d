import { expect, test } from '@playwright/test';
import { and, eq } from 'drizzle-orm';
import { example, revision } from '../../src/lib/server/db/schema';
import { acceptedProject, gotoLive, logInAs } from '../support/e2e';

test('an admin sorts the examples grid, previews one in the drawer, and re-queues two chosen examples after a confirmation', async ({
	page,
	context
}) => {
	const { db, admin, project } = await acceptedProject('Grid', 4);
	await logInAs(context, admin.id);
	await gotoLive(page, `/projects/${project.id}/examples`);

	const grid = page.getByRole('table', { name: 'Examples' });
	await expect(grid.getByRole('row')).toHaveCount(5);
	await expect(grid.getByRole('row').nth(1)).toContainText('5 stars meets 4 stars');
	await expect(grid.getByRole('row').nth(1)).toContainText('1 of 1');
	await expect(page.getByText('1–4 of 4')).toBeVisible();

	// Oldest first by id, then back: the header says which way the column runs.
	await grid.getByRole('link', { name: '# ↓' }).click();
	await expect(grid.getByRole('columnheader', { name: '# ↑' })).toHaveAttribute(
		'aria-sort',
		'ascending'
	);
	await expect(grid.getByRole('row').nth(1)).toContainText('Tune question 1?');
	await grid.getByRole('link', { name: 'Last activity' }).click();
	await expect(grid.getByRole('columnheader', { name: 'Last activity ↓' })).toHaveAttribute(
		'aria-sort',
		'descending'
	);
	await expect(grid.getByRole('row').nth(1)).toContainText('Tune question 4?');

	// The drawer shows the whole input and the reviews, and leaves the list where it was.
	const firstId = (await grid.getByRole('row').nth(1).getByRole('rowheader').textContent())!.trim();
	await grid.getByRole('link', { name: `Example ${firstId}` }).click();
	const drawer = page.getByRole('dialog', { name: `Example ${firstId}` });
	await expect(drawer).toContainText('Tune question 4?');
	await expect(drawer).toContainText('Tune answer 4.');
	await expect(drawer).toContainText('Rita 5 stars');
	await page.keyboard.press('Escape');
	await expect(drawer).toBeHidden();
	await expect(page).toHaveURL(/sort=activity/);

	// Two ticked, the menu's action confirmed with the count and the effect.
	await grid
		.getByRole('checkbox', { name: /^Choose example/ })
		.nth(0)
		.check();
	await grid
		.getByRole('checkbox', { name: /^Choose example/ })
		.nth(1)
		.check();
	await page.getByText('Actions for the 2 chosen').click();
	await page.getByRole('button', { name: 'Re-queue for fresh reviews…' }).click();
	const confirmation = page.getByRole('region', { name: 'Re-queue 2 examples?' });
	await expect(confirmation).toContainText('reviewed afresh');
	await expect(grid.getByRole('row')).toHaveCount(3);
	await expect(page.getByRole('heading', { name: 'Re-queue 2 examples?' })).toBeFocused();
	await confirmation.getByRole('button', { name: 'Re-queue 2 examples' }).click();
	await expect(page.getByText('Re-queued 2 examples: they wait for fresh reviews.')).toBeVisible();

	const queued = await db
		.select({ id: example.id })
		.from(example)
		.where(and(eq(example.projectId, project.id), eq(example.status, 'queued')));
	expect(queued).toHaveLength(2);
	const newRevisions = await db
		.select({ id: revision.id })
		.from(revision)
		.innerJoin(example, eq(example.id, revision.exampleId))
		.where(and(eq(example.projectId, project.id), eq(revision.number, 2)));
	expect(newRevisions).toHaveLength(2);
});

test('Cancel on the grid’s confirmation leaves every example as it was', async ({
	page,
	context
}) => {
	const { db, admin, project } = await acceptedProject('Grid cancel', 2);
	await logInAs(context, admin.id);
	await gotoLive(page, `/projects/${project.id}/examples`);

	await page.getByText('Actions for all 2 shown').click();
	await page.getByRole('button', { name: 'Re-queue for fresh reviews…' }).click();
	await expect(page.getByRole('heading', { name: 'Re-queue 2 examples?' })).toBeVisible();
	await page.getByRole('link', { name: 'Cancel' }).click();
	await expect(page.getByRole('heading', { name: 'Re-queue 2 examples?' })).toBeHidden();

	const accepted = await db
		.select({ id: example.id })
		.from(example)
		.where(and(eq(example.projectId, project.id), eq(example.status, 'accepted')));
	expect(accepted).toHaveLength(2);
});

test('without JavaScript the grid still sorts, ticks, confirms and re-queues', async ({
	browser
}) => {
	const { db, admin, project } = await acceptedProject('Grid no script', 3);
	const context = await browser.newContext({ javaScriptEnabled: false });
	await logInAs(context, admin.id);
	const page = await context.newPage();
	await page.goto(`/projects/${project.id}/examples`);

	const grid = page.getByRole('table', { name: 'Examples' });
	await grid.getByRole('link', { name: '# ↓' }).click();
	await expect(grid.getByRole('row').nth(1)).toContainText('Tune question 1?');
	await grid
		.getByRole('checkbox', { name: /^Choose example/ })
		.nth(0)
		.check();
	await page.getByText('Actions for').click();
	await page.getByRole('button', { name: 'Re-queue for fresh reviews…' }).click();
	const confirmation = page.getByRole('region', { name: 'Re-queue 1 example?' });
	await expect(confirmation).toBeVisible();
	await confirmation.getByRole('button', { name: 'Re-queue 1 example' }).click();
	await expect(page.getByText('Re-queued 1 example: it waits for fresh reviews.')).toBeVisible();
	await expect(page.getByRole('region', { name: 'Re-queue 1 example?' })).toBeHidden();

	const queued = await db
		.select({ input: example.input })
		.from(example)
		.where(and(eq(example.projectId, project.id), eq(example.status, 'queued')));
	expect(queued).toEqual([{ input: 'Tune question 1?' }]);
	await context.close();
});
