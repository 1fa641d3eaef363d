// The contract calls of comparisons: listed, queued three ways, and made gold.
import { asc, eq } from 'drizzle-orm';
import type { AreaCalls, Call, ContractContext } from './calls';
import { comparison, example } from '../../../src/lib/server/db/schema';
import { queueComparisons } from '../../../src/lib/server/comparisons';
import { claimComparison, judgeComparison } from '../../../src/lib/server/comparisons/queue';
import { contractProject, importRows, reviewAll } from './seed';

const NONE = 999_999_999;

/**
 * Three inputs, each answered well and poorly (the first also a third time), the good and
 * poor answers queued as three comparisons, which the member and the admin both judge; and
 * the examples reviewed by both, so the project has every kind of figure.
 */
export async function comparedProject(context: ContractContext) {
	const { db, admin, member } = context;
	const project = await contractProject(context, 'Contract comparisons', { reviewsRequired: '2' });
	await importRows(db, project, admin.id, [
		...[0, 1, 2].flatMap((i) => [
			{ input: `Compared question ${i}`, output: `A good answer ${i}` },
			{ input: `Compared question ${i}`, output: `poor ${i}` }
		]),
		{ input: 'Compared question 0', output: 'A third answer 0' }
	]);
	const outputs = (
		await db
			.select({ exampleId: example.id, revisionId: example.currentRevisionId })
			.from(example)
			.where(eq(example.projectId, project.id))
			.orderBy(asc(example.id))
	).map((o) => ({ exampleId: o.exampleId, revisionId: o.revisionId! }));
	const queued = await queueComparisons(
		db,
		project,
		[0, 2, 4].map((i) => ({ first: outputs[i], second: outputs[i + 1] })),
		admin.id,
		new Date()
	);
	if (!queued.ok) throw new Error(queued.message);
	for (const [person, choice] of [
		[member.id, 'left'],
		[admin.id, 'tie']
	] as const) {
		for (let claimed = await claimComparison(db, project.id, person, new Date()); claimed;) {
			const judged = await judgeComparison(
				db,
				project.id,
				person,
				{
					comparisonId: claimed.comparisonId,
					choice,
					submissionKey: `contract-${person}-${claimed.comparisonId}`
				},
				new Date()
			);
			if (!judged.ok) throw new Error(judged.message);
			claimed = await claimComparison(db, project.id, person, new Date());
		}
	}
	await reviewAll(db, project.id, member.id, () => ({ rating: 5, decision: 'accept' }));
	await reviewAll(db, project.id, admin.id, (id) => ({
		rating: id % 2 === 0 ? 4 : 2,
		decision: id % 2 === 0 ? 'accept' : 'reject'
	}));
	return { project, outputs };
}

export const comparisonCalls: AreaCalls = async (context) => {
	const { db } = context;
	const { project, outputs } = await comparedProject(context);
	const [first] = await db
		.select({ id: comparison.id })
		.from(comparison)
		.where(eq(comparison.projectId, project.id))
		.orderBy(asc(comparison.id));
	const at = { id: project.id };
	const [good, poor, otherGood] = outputs;
	const third = outputs[6];
	const gold = { ...at, comparisonId: first.id };
	const listComparisons: Call[] = [
		{ as: 'admin', params: at, status: 200 },
		{ as: 'admin', params: at, query: { after: '0', limit: '2' }, status: 200 },
		{ as: 'admin', params: at, query: { limit: '0' }, status: 400 },
		{ as: 'admin', params: at, query: { after: 'first' }, status: 400 },
		{ as: 'member', params: at, status: 403 },
		{ as: 'outsider', params: at, status: 404 },
		{ as: null, params: at, status: 401 }
	];
	return {
		listComparisons,
		queueComparisons: [
			{ as: 'admin', params: at, body: { pairs: [{ first: good, second: third }] }, status: 201 },
			// The same two outputs the other way round are queued already.
			{ as: 'admin', params: at, body: { pairs: [{ first: poor, second: good }] }, status: 201 },
			{ as: 'admin', params: at, body: { modelIds: [1] }, status: 400 },
			{ as: 'admin', params: at, body: { pairs: [] }, status: 400 },
			{ as: 'admin', params: at, body: { pairs: [{ first: good, second: good }] }, status: 400 },
			{
				as: 'admin',
				params: at,
				body: { pairs: [{ first: good, second: otherGood }] },
				status: 400
			},
			{ as: 'admin', params: at, body: { modelIds: [NONE, NONE] }, status: 400 },
			{ as: 'admin', params: at, body: { modelIds: [NONE, NONE - 1] }, status: 404 },
			{ as: 'admin', params: at, body: { jobId: NONE }, status: 404 },
			{
				as: 'admin',
				params: at,
				body: { pairs: [{ first: good, second: { exampleId: NONE, revisionId: NONE } }] },
				status: 404
			},
			{ as: 'member', params: at, body: { jobId: NONE }, status: 403 },
			{ as: 'outsider', params: at, body: { jobId: NONE }, status: 404 },
			{ as: null, params: at, body: { jobId: NONE }, status: 401 }
		],
		setComparisonGold: [
			{ as: 'admin', params: gold, body: { gold: 'first' }, status: 200 },
			{ as: 'admin', params: gold, body: { gold: null }, status: 200 },
			{ as: 'admin', params: gold, body: { gold: 'left' }, status: 400 },
			{ as: 'admin', params: gold, body: {}, status: 400 },
			{ as: 'admin', params: { ...at, comparisonId: NONE }, body: { gold: null }, status: 404 },
			{ as: 'member', params: gold, body: { gold: 'tie' }, status: 403 },
			{ as: 'outsider', params: gold, body: { gold: 'tie' }, status: 404 },
			{ as: null, params: gold, body: { gold: 'tie' }, status: 401 }
		]
	};
};
