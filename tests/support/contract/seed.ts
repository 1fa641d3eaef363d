// What several areas' contract calls seed: a project of their own with the member on it, and
// every example its queue serves a person reviewed through the review screen's domain calls.
import { expect } from '@playwright/test';
import type { Db } from '../../../src/lib/server/db';
import type { Project } from '../../../src/lib/server/db/schema';
import { importExamples } from '../../../src/lib/server/import';
import { addMember, createProject } from '../../../src/lib/server/projects';
import { claimNext } from '../../../src/lib/server/queue';
import { submitReview, type ReviewSubmission } from '../../../src/lib/server/reviews';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../../src/lib/schemas/project';
import type { ContractContext } from './calls';

/** A fresh project of the admin's with the member on it; `values` as the project form takes them. */
export async function contractProject(
	{ db, admin, member }: ContractContext,
	name: string,
	values: Record<string, unknown> = {}
): Promise<Project> {
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `${name} ${Date.now()}`,
			...values
		}),
		admin.id
	);
	await addMember(db, project.id, member.id);
	return project;
}

/** Imports the rows as a JSONL file, as the import page would. */
export async function importRows(db: Db, project: Project, userId: string, rows: object[]) {
	async function* lines() {
		for (const row of rows) yield `${JSON.stringify(row)}\n`;
	}
	const imported = await importExamples(db, project, {
		source: lines(),
		format: 'jsonl',
		filename: 'contract.jsonl',
		userId
	});
	expect(imported.ok).toBe(true);
}

/** The person reviews everything the queue serves them, each review as `review` makes it. */
export async function reviewAll(
	db: Db,
	projectId: number,
	userId: string,
	review: (
		exampleId: number
	) => Pick<ReviewSubmission, 'rating' | 'decision'> & Partial<ReviewSubmission>
): Promise<number> {
	let reviewed = 0;
	for (let claimed = await claimNext(db, projectId, userId, new Date()); claimed;) {
		const saved = await submitReview(
			db,
			projectId,
			userId,
			{
				exampleId: claimed.exampleId,
				revisionId: claimed.revisionId,
				requirementRatings: new Map(),
				submissionKey: `contract-${userId}-${claimed.revisionId}`,
				...review(claimed.exampleId)
			},
			new Date()
		);
		expect(saved.ok).toBe(true);
		reviewed += 1;
		claimed = await claimNext(db, projectId, userId, new Date());
	}
	return reviewed;
}
