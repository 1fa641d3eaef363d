// The contract calls of imports and of one example read whole.
import { asc, eq } from 'drizzle-orm';
import { example, importBatch, requirement } from '../../../src/lib/server/db/schema';
import { markGold } from '../../../src/lib/server/gold';
import type { AreaCalls } from './calls';
import { contractProject, importRows, reviewAll } from './seed';

const NONE = 999_999_999;

export const exampleCalls: AreaCalls = async (context) => {
	const { db, admin, member } = context;
	const project = await contractProject(context, 'Contract examples', {
		reviewsRequired: '2',
		requirements: [{ name: 'Correct', description: 'Says what is true.' }]
	});
	const [correct] = await db
		.select({ id: requirement.id })
		.from(requirement)
		.where(eq(requirement.projectId, project.id));
	await importRows(db, project, admin.id, [
		{ input: 'Where is my parcel?', output: 'On its way.', tags: ['shipping'], id: 'parcel-1' }
	]);
	const [reviewed] = await db
		.select({ id: example.id })
		.from(example)
		.where(eq(example.projectId, project.id))
		.orderBy(asc(example.id));
	// A repair makes a second revision, which the admin then accepts: two revisions, two
	// reviews, a repair in the timeline; marked gold, which only the admin is told.
	await reviewAll(db, project.id, member.id, () => ({
		rating: 2,
		decision: 'repair',
		output: 'On its way; it arrives on Friday.',
		comment: 'No date.',
		durationMs: 4000
	}));
	await reviewAll(db, project.id, admin.id, () => ({
		rating: 5,
		decision: 'accept',
		requirementRatings: new Map([[correct.id, 5]])
	}));
	const gold = await markGold(db, project.id, reviewed.id, 5, new Date());
	if (!gold.ok) throw new Error(gold.message);

	// An import still being written keeps the next one out of its project.
	const busy = await contractProject(context, 'Contract busy import');
	await db.transaction(async (tx) =>
		tx.insert(importBatch).values({
			projectId: busy.id,
			userId: admin.id,
			filename: 'held.jsonl',
			format: 'jsonl',
			rowsRead: 1,
			rowsImported: 0,
			state: 'staging',
			stagedAt: new Date(),
			createdAt: new Date()
		})
	);

	const at = { id: project.id };
	const jsonl = 'application/jsonl';
	const file = '{"input": "Is it raining?", "output": "No."}\n{"input": "Will it rain?"}\n';
	return {
		importExamples: [
			{ as: 'admin', params: at, mediaType: jsonl, body: file, status: 201 },
			{ as: 'admin', params: at, mediaType: jsonl, body: file, status: 200 },
			{
				as: 'admin',
				params: at,
				mediaType: 'text/csv',
				body: 'input,output,tags\n"Is it sunny?","Yes.",weather\n',
				status: 201
			},
			{
				as: 'admin',
				params: at,
				mediaType: jsonl,
				body: '{"input": "Fine", "output": "Yes."}\n{"input": \n[1]\n',
				status: 400
			},
			{ as: 'admin', params: at, mediaType: 'text/csv', body: 'output\nNo input.\n', status: 400 },
			// No content type: no body is read.
			{ as: 'admin', params: at, status: 400 },
			{ as: 'admin', params: { id: busy.id }, mediaType: jsonl, body: file, status: 409 },
			{ as: 'member', params: at, mediaType: jsonl, body: file, status: 403 },
			{ as: 'outsider', params: at, mediaType: jsonl, body: file, status: 404 },
			{ as: null, params: at, mediaType: jsonl, body: file, status: 401 }
		],
		getExample: [
			{ as: 'admin', params: { ...at, exampleId: reviewed.id }, status: 200 },
			{ as: 'member', params: { ...at, exampleId: reviewed.id }, status: 200 },
			{ as: 'admin', params: { ...at, exampleId: NONE }, status: 404 },
			{ as: 'outsider', params: { ...at, exampleId: reviewed.id }, status: 404 },
			{ as: null, params: { ...at, exampleId: reviewed.id }, status: 401 }
		]
	};
};
