import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiProjectAdmin } from '$lib/server/guards';
import {
	compareJobOutputs,
	compareModels,
	listComparisons,
	queueComparisons
} from '$lib/server/comparisons';
import { comparisonFigures } from '$lib/server/comparisons/figures';
import type { RequestHandler } from './$types';

/** The project's comparisons, a page at a time, with agreement and position bias. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const query = OPERATIONS.listComparisons.query.safeParse(
		Object.fromEntries(event.url.searchParams)
	);
	if (!query.success) return invalid('The query has a problem.', query.error);
	const db = event.locals.db;
	const comparisons = await listComparisons(db, project.id, query.data.after, query.data.limit);
	return json({
		comparisons,
		next: comparisons.length === query.data.limit ? comparisons.at(-1)!.id : null,
		figures: await comparisonFigures(db, project)
	});
};

/** Queues comparisons: a finished job's outputs, two evaluated models', or given pairs. */
export const POST: RequestHandler = async (event) => {
	const { user, project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.queueComparisons.body.safeParse(read.body);
	if (!parsed.success) return invalid('The comparisons have a problem.', parsed.error);
	const db = event.locals.db;
	const now = new Date();
	const body = parsed.data;
	const result =
		'jobId' in body
			? await compareJobOutputs(db, project, body.jobId, user.id, now)
			: 'modelIds' in body
				? await compareModels(db, project, body.modelIds[0], body.modelIds[1], user.id, now)
				: await queueComparisons(db, project, body.pairs, user.id, now);
	if (!result.ok) return invalid(result.message, undefined, result.status);
	return json(
		{ created: result.created, alreadyQueued: result.alreadyQueued, identical: result.identical },
		{ status: 201 }
	);
};
