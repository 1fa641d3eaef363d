import { expect, test } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { addMember, createProject } from '../../src/lib/server/projects';
import { importExamples } from '../../src/lib/server/import';
import { claimNext } from '../../src/lib/server/queue';
import { submitReview } from '../../src/lib/server/reviews';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';
import { adjudication, example, revision } from '../../src/lib/server/db/schema';
import { e2eDb, ensureUser, gotoLive, logInAs } from '../support/e2e';

/** A project with k = 2 and examples two annotators rated 5 and 1: disputes. */
async function disputedProject(count = 1) {
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
		for (let i = 2; i <= count; i++) {
			yield `{"input": "Dispute ${i}: can I return item ${i}?", "output": "Answer ${i}."}\n`;
		}
	}
	await importExamples(db, created, {
		source: rows(),
		format: 'jsonl',
		filename: 'dispute.jsonl',
		userId: admin.id
	});
	const now = new Date();
	for (let n = 0; n < count; n++) {
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
					submissionKey: `adjudication-${created.id}-${person.id}-${n}`
				},
				now
			);
			expect(result.ok).toBe(true);
		}
	}
	const disputed = (
		await db.select().from(example).where(eq(example.projectId, created.id)).orderBy(example.id)
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
	const queue = page.getByRole('table', { name: 'Disputed examples' });
	const row = queue.getByRole('row', { name: `Example ${exampleId}` });
	await expect(row).toContainText('1 star, 5 stars');
	await expect(row).toContainText('ratings on both sides of the threshold');
	await row.getByRole('link', { name: `Example ${exampleId}` }).click();

	await expect(page.getByRole('heading', { name: `Example ${exampleId}` })).toBeVisible();
	// The reviews side by side, a row for each thing they rated or said.
	const reviews = page.getByRole('table', { name: 'Reviews' });
	await expect(reviews.getByRole('columnheader')).toHaveText(['Ada', 'Ben']);
	await expect(reviews.getByRole('row', { name: /^Overall rating/ })).toContainText('5 stars');
	await expect(reviews.getByRole('row', { name: /^Overall rating/ })).toContainText('1 star');
	await expect(reviews.getByRole('row', { name: /^Decision/ })).toHaveText(/Accept\s*Reject/);
	await expect(reviews.getByRole('row', { name: /^Comment/ })).toContainText('Ada thinks so');

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

test('an adjudicator resolves three disputes from the keyboard alone, one with a repair', async ({
	page,
	context
}) => {
	const { project, admin, exampleId } = await disputedProject(3);
	await logInAs(context, admin.id);
	await gotoLive(page, `/projects/${project.id}/adjudication/${exampleId}`);
	const heading = page.getByRole('heading', { level: 1 });
	await expect(heading).toHaveText(`Example ${exampleId}`);

	await page.keyboard.press('?');
	await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toContainText(
		'Resolve and open the next dispute'
	);
	await page.keyboard.press('Escape');
	await expect(page.getByRole('dialog')).toHaveCount(0);

	// The first: 4 stars, accept, a reason, Enter.
	await page.keyboard.press('4');
	await expect(page.getByRole('radio', { name: '4 stars' })).toBeChecked();
	await page.keyboard.press('a');
	await expect(page.getByRole('radio', { name: 'Accept' })).toBeChecked();
	await expect(page.getByLabel('Reason')).toBeFocused();
	await page.keyboard.type('Returns are allowed for 60 days.');
	await page.keyboard.press('Enter');
	await expect(heading).toHaveText(`Example ${exampleId + 1}`);

	// The second: repaired in the same editor as on the review screen, then rejected.
	await page.keyboard.press('2');
	await page.keyboard.press('e');
	const editor = page.getByLabel('Repaired output');
	await expect(editor).toBeFocused();
	await page.keyboard.press('ControlOrMeta+a');
	await page.keyboard.type('Only within 60 days, with a receipt.');
	await expect(page.getByText('Your changes to the original: +7 words −2 words')).toBeVisible();
	await page.keyboard.press('Escape');
	await page.keyboard.press('r');
	await expect(page.getByLabel('Reason')).toBeFocused();
	await page.keyboard.type('The answer left out the limit.');
	await page.keyboard.press('Enter');
	await expect(heading).toHaveText(`Example ${exampleId + 2}`);

	// The third: Enter without a reason is held back, with the cursor put in the reason.
	await page.keyboard.press('5');
	await page.keyboard.press('a');
	await page.keyboard.press('Escape');
	await expect(page.getByLabel('Reason')).not.toBeFocused();
	await page.keyboard.press('Enter');
	await expect(page.getByLabel('Reason')).toBeFocused();
	await expect(heading).toHaveText(`Example ${exampleId + 2}`);
	await page.keyboard.type('Fine as it is.');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('heading', { name: 'No disputed examples' })).toBeVisible();

	const db = e2eDb();
	const resolved = await db
		.select({
			exampleId: adjudication.exampleId,
			rating: adjudication.rating,
			decision: adjudication.decision,
			reason: adjudication.reason
		})
		.from(adjudication)
		.innerJoin(example, eq(example.id, adjudication.exampleId))
		.where(eq(example.projectId, project.id))
		.orderBy(adjudication.exampleId);
	expect(resolved).toEqual([
		{ exampleId, rating: 4, decision: 'accept', reason: 'Returns are allowed for 60 days.' },
		{
			exampleId: exampleId + 1,
			rating: 2,
			decision: 'reject',
			reason: 'The answer left out the limit.'
		},
		{ exampleId: exampleId + 2, rating: 5, decision: 'accept', reason: 'Fine as it is.' }
	]);
	const repaired = await db
		.select({ output: revision.output })
		.from(revision)
		.where(eq(revision.exampleId, exampleId + 1))
		.orderBy(revision.id);
	expect(repaired.map((r) => r.output)).toEqual([
		'Answer 2.',
		'Only within 60 days, with a receipt.'
	]);
});
