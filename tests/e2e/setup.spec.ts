import { expect, test } from '@playwright/test';
import { getUserByUsername } from '../../src/lib/server/users';
import { e2eDb, logInAs, SETUP_ADMIN } from '../support/e2e';

test('the first visit creates the admin, and /setup then closes for good', async ({ page }) => {
	await page.goto('/projects');
	await expect(page).toHaveURL(/\/setup$/);
	await expect(page.getByRole('heading', { name: 'Welcome to Winnow' })).toBeVisible();

	await page.getByLabel('Username').fill(SETUP_ADMIN.username);
	await page.getByLabel('Your name').fill('Ada Admin');
	await page.getByLabel('Password', { exact: true }).fill('short');
	await page.getByLabel('Password again').fill('short');
	await page.getByRole('button', { name: 'Create admin account' }).click();
	await expect(page.getByText('Use at least 10 characters.')).toBeVisible();
	await expect(page.getByLabel('Username')).toHaveValue(SETUP_ADMIN.username);

	await page.getByLabel('Password', { exact: true }).fill(SETUP_ADMIN.password);
	await page.getByLabel('Password again').fill(SETUP_ADMIN.password);
	await page.getByRole('button', { name: 'Create admin account' }).click();
	await expect(page).toHaveURL(/\/projects$/);
	await expect(page.getByRole('region', { name: 'Getting started' })).toContainText('0 of 3 done');
	await expect(page.getByText('Ada Admin')).toBeVisible();

	await page.goto('/setup');
	await expect(page).toHaveURL(/\/projects$/);
});

test('a new admin follows the getting-started checklist from the empty install to a first frozen dataset', async ({
	page,
	context
}) => {
	const admin = (await getUserByUsername(e2eDb(), SETUP_ADMIN.username))!;
	await logInAs(context, admin.id);
	await page.goto('/projects');
	const setup = page.getByRole('region', { name: 'Getting started' });
	await expect(setup).toContainText('0 of 3 done');

	await setup.getByRole('link', { name: 'Add a provider' }).click();
	await expect(page).toHaveURL(/\/admin\/providers$/);
	await page.getByLabel('Name', { exact: true }).fill('First provider');
	await page.getByLabel('Base URL').fill('http://127.0.0.1:9/v1');
	await page.getByLabel('API key').fill('sk-first-provider');
	await page.getByRole('button', { name: 'Add provider' }).click();
	await expect(page.getByRole('region', { name: 'First provider', exact: true })).toBeVisible();

	await page.getByRole('link', { name: 'Projects' }).click();
	await expect(setup).toContainText('1 of 3 done');
	await setup.getByRole('link', { name: 'Add people' }).click();
	await expect(page).toHaveURL(/\/admin\/users$/);
	await page.getByLabel('Username').fill('fran');
	await page.getByLabel('Name', { exact: true }).fill('Fran First');
	await page.getByLabel('Initial password').fill('violet-harbour-lantern-42');
	await page.getByRole('button', { name: 'Create account' }).click();
	await expect(page.getByText('Account “fran” created.')).toBeVisible();

	await page.getByRole('link', { name: 'Projects' }).click();
	await expect(setup).toContainText('2 of 3 done');
	await setup.getByRole('link', { name: 'Create a project' }).click();
	await page.getByLabel('Name').fill('First project');
	await page.getByRole('button', { name: 'Create project' }).click();

	const steps = page.getByRole('region', { name: 'Getting started with this project' });
	await expect(steps).toContainText('1 of 6 done');
	// What cannot work yet is disabled, saying why beside it.
	for (const [action, why] of [
		['Start reviewing', 'Fill the queue first.'],
		['Freeze a dataset', 'No example is accepted yet: review first.'],
		['Start a fine-tune', 'Freeze a dataset first.']
	]) {
		const button = steps.getByRole('button', { name: action });
		await expect(button).toBeDisabled();
		await expect(button).toHaveAccessibleDescription(why);
	}

	await steps.getByRole('link', { name: 'Add people' }).click();
	await page.getByLabel('Add a member').selectOption({ label: 'Fran First (fran)' });
	await page.getByRole('button', { name: 'Add', exact: true }).click();
	await expect(page.getByRole('button', { name: 'Remove Fran First' })).toBeVisible();

	await page.getByRole('link', { name: 'Overview' }).click();
	await expect(steps).toContainText('2 of 6 done');
	await steps.getByRole('link', { name: 'Import examples' }).click();
	await page.getByLabel('File').setInputFiles({
		name: 'first.jsonl',
		mimeType: 'application/x-ndjson',
		buffer: Buffer.from(
			'{"input": "Where is my parcel?", "output": "It left the depot this morning."}\n' +
				'{"input": "Can I pay by card?", "output": "Yes, every major card."}\n'
		)
	});
	await page.getByRole('button', { name: 'Import' }).click();
	await expect(page.getByText(/Imported 2 examples/)).toBeVisible();

	await page.getByRole('link', { name: 'Overview' }).click();
	await expect(steps).toContainText('3 of 6 done');
	await steps.getByRole('link', { name: 'Start reviewing' }).click();
	await page.locator('html[data-live]').waitFor({ state: 'attached' });
	for (let i = 0; i < 2; i++) {
		const input = await page.getByRole('region', { name: 'Input' }).textContent();
		await page.keyboard.press('5');
		await page.keyboard.press('Enter');
		await expect(page.getByText(`Reviewed today: ${i + 1}`)).toBeVisible();
		if (i === 0) await expect(page.getByRole('region', { name: 'Input' })).not.toHaveText(input!);
	}
	await expect(page.getByRole('heading', { name: 'Nothing to review right now' })).toBeVisible();

	await page.getByRole('link', { name: 'Overview' }).click();
	await expect(steps).toContainText('4 of 6 done');
	await steps.getByRole('link', { name: 'Freeze a dataset' }).click();
	await page.getByLabel('Dataset name').fill('first');
	await page.getByRole('button', { name: 'Freeze 2 examples' }).click();
	await expect(page.getByRole('heading', { name: 'Dataset: first' })).toBeVisible();

	await page.getByRole('link', { name: 'Overview' }).click();
	await expect(steps).toContainText('5 of 6 done');
	// A provider and a dataset: the last step can be taken now.
	await expect(steps.getByRole('link', { name: 'Start a fine-tune' })).toBeVisible();
});
