import { json } from '@sveltejs/kit';
import { z } from 'zod';
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

const id = z.number().int().positive();
const output = z.object({ exampleId: id, revisionId: id });
/** One of three ways to say what to compare. */
const bodySchema = z.union(
	[
		z.strictObject({ jobId: id }),
		z.strictObject({ modelIds: z.tuple([id, id]) }),
		z.strictObject({
			pairs: z
				.array(z.object({ first: output, second: output }))
				.min(1, 'Give at least one pair.')
				.max(10_000, 'Queue at most 10,000 pairs at a time.')
		})
	],
	{
		error:
			'Give {"jobId"}, {"modelIds": [first, second]} or {"pairs": [{"first": {"exampleId", "revisionId"}, "second": {…}}]}.'
	}
);
const querySchema = z.object({
	after: z.coerce.number().int().min(0).default(0),
	limit: z.coerce.number().int().min(1).max(1000).default(500)
});

/** The project's comparisons, a page at a time, with agreement and position bias. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const query = querySchema.safeParse(Object.fromEntries(event.url.searchParams));
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
	const parsed = bodySchema.safeParse(read.body);
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
