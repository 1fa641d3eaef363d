import { expect, test } from '@playwright/test';
import { SETUP_ADMIN } from '../support/e2e';

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
	await expect(page.getByRole('heading', { name: 'No projects yet' })).toBeVisible();
	await expect(page.getByText('Ada Admin')).toBeVisible();

	await page.goto('/setup');
	await expect(page).toHaveURL(/\/projects$/);
});
