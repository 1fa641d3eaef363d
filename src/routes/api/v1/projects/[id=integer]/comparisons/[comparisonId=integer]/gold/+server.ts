import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiProjectAdmin } from '$lib/server/guards';
import { setComparisonGold } from '$lib/server/comparisons/queue';
import type { RequestHandler } from './$types';

/** Makes a comparison gold with its known answer (in its own order), or ordinary with null. */
export const POST: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.setComparisonGold.body.safeParse(read.body);
	if (!parsed.success) return invalid('The comparison has a problem.', parsed.error);
	const done = await setComparisonGold(
		event.locals.db,
		project.id,
		Number(event.params.comparisonId),
		parsed.data.gold,
		new Date()
	);
	if (!done) return invalid('No such comparison in this project.', undefined, 404);
	return json({ id: Number(event.params.comparisonId), gold: parsed.data.gold });
};
