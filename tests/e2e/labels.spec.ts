import { expect, test } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { example, revision } from '../../src/lib/server/db/schema';
import { addMember, createProject } from '../../src/lib/server/projects';
import { importExamples } from '../../src/lib/server/import';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { e2eDb, ensureUser, logInAs } from '../support/e2e';

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
