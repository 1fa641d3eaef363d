import { expect, test } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { addMember, createProject } from '../../src/lib/server/projects';
import { importExamples } from '../../src/lib/server/import';
import { claimNext } from '../../src/lib/server/queue';
import { submitReview } from '../../src/lib/server/reviews';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { example } from '../../src/lib/server/db/schema';
import { e2eDb, ensureUser, logInAs } from '../support/e2e';

/** A project with k = 2 and one example two annotators rated 5 and 1: a dispute. */
async function disputedProject() {
	const db = e2eDb();
	const admin = await ensureUser('adjudicator', 'admin');
	const ada = await ensureUser('ada', 'annotator');
	const ben = await ensureUser('ben', 'annotator');
	const created = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `Adjudication ${Date.now()}`,
			reviewsRequired: 2
		}),
		admin.id
	);
	await addMember(db, created.id, ada.id);
	await addMember(db, created.id, ben.id);
	async function* rows() {
		yield '{"input": "Can I return shoes after 40 days?", "output": "Yes, any time."}\n';
	}
	await importExamples(db, created, {
		source: rows(),
		format: 'jsonl',
		filename: 'dispute.jsonl',
		userId: admin.id
	});
	const now = new Date();
	for (const [person, rating, decision] of [
		[ada, 5, 'accept'],
		[ben, 1, 'reject']
	] as const) {
		const claimed = (await claimNext(db, created.id, person.id, now))!;
		const result = await submitReview(
			db,
			created.id,
			person.id,
			{
				exampleId: claimed.exampleId,
				revisionId: claimed.revisionId,
				rating,
				decision,
				requirementRatings: new Map(),
				comment: `${person.displayName} thinks so`,
				submissionKey: `adjudication-${created.id}-${person.id}`
			},
			now
		);
		expect(result.ok).toBe(true);
	}
	const disputed = (
		await db.select().from(example).where(eq(example.projectId, created.id)).limit(1)
	)[0]!;
	expect(disputed.status).toBe('disputed');
	return { project: created, admin, exampleId: disputed.id };
}

test('an admin resolves a disputed example from the adjudication queue', async ({
	page,
	context
}) => {
	const { project, admin, exampleId } = await disputedProject();
	await logInAs(context, admin.id);

	await page.goto(`/projects/${project.id}/agreement`);
	const outcomes = page.getByRole('table', { name: 'Outcomes' });
	await expect(outcomes.getByRole('row', { name: 'Waiting for adjudication 1' })).toBeVisible();
	await expect(outcomes.getByRole('row', { name: 'Resolved by adjudication 0' })).toBeVisible();
	await expect(outcomes.getByRole('row', { name: 'Accepted 0' })).toBeVisible();
	await page.getByRole('link', { name: 'Go to the adjudication queue' }).click();

	await expect(page).toHaveURL(new RegExp(`/projects/${project.id}/adjudication$`));
	await expect(page.getByRole('heading', { name: 'Adjudication' })).toBeVisible();
	const queue = page.getByRole('list', { name: 'Disputed examples' });
	await expect(queue.getByRole('listitem')).toHaveCount(1);
	await queue.getByRole('link', { name: `Example ${exampleId}` }).click();

	await expect(page.getByRole('heading', { name: `Example ${exampleId}` })).toBeVisible();
	const ada = page.getByRole('article', { name: 'Review by Ada' });
	const ben = page.getByRole('article', { name: 'Review by Ben' });
	await expect(ada).toContainText('5 stars');
	await expect(ada).toContainText('Ada thinks so');
	await expect(ben).toContainText('1 star');
	await expect(ben).toContainText('Reject');

	await page.getByRole('radio', { name: '4 stars' }).check();
	await page.getByRole('radio', { name: 'Accept' }).check();
	await page.getByLabel('Reason').fill('Returns are allowed for 60 days, so yes is right.');
	await page.getByRole('button', { name: 'Resolve' }).click();

	await expect(page).toHaveURL(new RegExp(`/projects/${project.id}/adjudication$`));
	await expect(page.getByRole('heading', { name: 'No disputed examples' })).toBeVisible();

	await page.goto(`/projects/${project.id}/examples/${exampleId}`);
	await expect(page.getByRole('heading', { name: `Example ${exampleId}` })).toBeVisible();
	await expect(page.getByRole('main')).toContainText('Accepted');
	await expect(page.getByRole('main')).toContainText('Final rating 4 stars');
	await expect(page.getByRole('main')).toContainText(
		'resolved the dispute on revision 1: 4 stars, accept'
	);
	await expect(page.getByRole('main')).toContainText(
		'Reason: “Returns are allowed for 60 days, so yes is right.”'
	);

	await page.goto(`/projects/${project.id}/agreement`);
	await expect(outcomes.getByRole('row', { name: 'Waiting for adjudication 0' })).toBeVisible();
	await expect(outcomes.getByRole('row', { name: 'Resolved by adjudication 1' })).toBeVisible();
	await expect(outcomes.getByRole('row', { name: 'Accepted 1' })).toBeVisible();
});
