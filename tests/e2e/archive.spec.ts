import { expect, test } from '@playwright/test';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { importExamples } from '../../src/lib/server/import';
import { addMember, createProject } from '../../src/lib/server/projects';
import { e2eDb, ensureUser, logInAs } from '../support/e2e';

test('an admin archives a project from its settings; its queue serves nothing until restored', async ({
	browser
}) => {
	const db = e2eDb();
	const admin = await ensureUser('archivist', 'admin');
	const annotator = await ensureUser('shelf-reader', 'annotator');
	const name = `Old catalogue ${Date.now()}`;
	const project = await createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name }),
		admin.id
	);
	await addMember(db, project.id, annotator.id);
	async function* rows() {
		yield '{"input": "Is the 1998 edition in stock?", "output": "Yes, two copies."}\n';
	}
	await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'catalogue.jsonl',
		userId: admin.id
	});

	const adminContext = await browser.newContext();
	await logInAs(adminContext, admin.id);
	const page = await adminContext.newPage();
	await page.goto(`/projects/${project.id}/settings`);
	await page.getByRole('button', { name: 'Archive project' }).click();
	const banner = page.getByText('This project is archived: its queue serves nothing');
	await expect(banner).toBeVisible();
	await page.goto('/projects');
	const archived = page.getByRole('table', { name: 'Archived' });
	await expect(archived.getByRole('link', { name })).toBeVisible();

	const annotatorContext = await browser.newContext();
	await logInAs(annotatorContext, annotator.id);
	const review = await annotatorContext.newPage();
	await review.goto(`/projects/${project.id}/review`);
	await expect(review.getByRole('heading', { name: 'This project is archived' })).toBeVisible();
	await expect(
		review.getByText('This project is archived: its queue serves nothing')
	).toBeVisible();
	await expect(review.getByRole('button', { name: 'Restore', exact: true })).toHaveCount(0);

	await page.goto(`/projects/${project.id}`);
	await page.getByRole('button', { name: 'Restore', exact: true }).click();
	await expect(banner).toHaveCount(0);
	await review.goto(`/projects/${project.id}/review`);
	await expect(review.getByText('Is the 1998 edition in stock?')).toBeVisible();
	await adminContext.close();
	await annotatorContext.close();
});
