// The review operations' calls, on a project of their own where one review settles an example.
import { asc, eq } from 'drizzle-orm';
import { example } from '../../../src/lib/server/db/schema';
import { importExamples } from '../../../src/lib/server/import';
import { addMember, createProject, listRequirements } from '../../../src/lib/server/projects';
import { claimForScreen } from '../../../src/lib/server/reviewScreen';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../../src/lib/schemas/project';
import type { AreaCalls } from './calls';

export const reviewCalls: AreaCalls = async ({ db, admin, member }) => {
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `Contract reviews ${Date.now()}`,
			requirements: [{ name: 'Polite', description: 'Says please.' }]
		}),
		admin.id
	);
	await addMember(db, project.id, member.id);
	async function* rows() {
		for (const n of [1, 2, 3]) yield `{"input": "Question ${n}?", "output": "Answer ${n}."}\n`;
	}
	await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'reviews.jsonl',
		userId: admin.id
	});
	const now = new Date();
	const mine = (await claimForScreen(db, project.id, member.id, now))!;
	const admins = (await claimForScreen(db, project.id, admin.id, now))!;
	const ids = (
		await db
			.select({ id: example.id, revisionId: example.currentRevisionId })
			.from(example)
			.where(eq(example.projectId, project.id))
			.orderBy(asc(example.id))
	).filter((e) => e.id !== mine.exampleId && e.id !== admins.exampleId);
	const untouched = ids[0];
	const [polite] = await listRequirements(db, project.id);
	const id = project.id;
	const review = {
		exampleId: mine.exampleId,
		revisionId: mine.revisionId,
		submissionKey: mine.submissionKey,
		rating: 5,
		decision: 'accept',
		comment: 'Clear.',
		durationMs: 4200,
		requirementRatings: [{ requirementId: polite.id, rating: 5 }]
	};
	const imported = {
		exampleId: untouched.id,
		username: member.username,
		rating: 2,
		decision: 'reject',
		reviewedAt: '2026-11-30T09:15:00Z',
		requirementRatings: [{ requirementId: polite.id, rating: 1 }]
	};
	return {
		claimExample: [
			{ as: 'member', params: { id }, status: 200 },
			{ as: 'admin', params: { id }, status: 200 },
			{ as: 'outsider', params: { id }, status: 404 },
			{ as: null, params: { id }, status: 401 }
		],
		skipExample: [
			{ as: 'admin', params: { id }, body: { exampleId: admins.exampleId }, status: 200 },
			{ as: 'admin', params: { id }, body: { exampleId: admins.exampleId }, status: 409 },
			{ as: 'admin', params: { id }, body: {}, status: 400 },
			{ as: 'outsider', params: { id }, body: { exampleId: 1 }, status: 404 },
			{ as: null, params: { id }, body: { exampleId: 1 }, status: 401 }
		],
		submitReview: [
			{ as: 'member', params: { id }, body: { ...review, rating: 7 }, status: 400 },
			{ as: 'member', params: { id }, body: { ...review, decision: 'maybe' }, status: 400 },
			{ as: 'member', params: { id }, body: { ...review, exampleId: 999_999_999 }, status: 404 },
			{ as: 'member', params: { id }, body: review, status: 201 },
			{ as: 'member', params: { id }, body: review, status: 200 },
			{
				as: 'member',
				params: { id },
				body: { ...review, submissionKey: 'another-key-123' },
				status: 409
			},
			{ as: 'outsider', params: { id }, body: review, status: 404 },
			{ as: null, params: { id }, body: review, status: 401 }
		],
		importReviews: [
			{ as: 'admin', params: { id }, body: { reviews: [imported] }, status: 201 },
			// The same review again: that person reviewed that version already.
			{ as: 'admin', params: { id }, body: { reviews: [imported] }, status: 400 },
			{
				as: 'admin',
				params: { id },
				body: { reviews: [{ ...imported, username: 'no-such-person' }] },
				status: 400
			},
			{ as: 'admin', params: { id }, body: { reviews: [] }, status: 400 },
			{ as: 'member', params: { id }, body: { reviews: [imported] }, status: 403 },
			{ as: 'outsider', params: { id }, body: { reviews: [imported] }, status: 404 },
			{ as: null, params: { id }, body: { reviews: [imported] }, status: 401 }
		],
		listReviews: [
			{ as: 'member', params: { id, exampleId: mine.exampleId }, status: 200 },
			{ as: 'admin', params: { id, exampleId: untouched.id }, status: 200 },
			{ as: 'admin', params: { id, exampleId: 999_999_999 }, status: 404 },
			{ as: 'outsider', params: { id, exampleId: mine.exampleId }, status: 404 },
			{ as: null, params: { id, exampleId: mine.exampleId }, status: 401 }
		]
	};
};
