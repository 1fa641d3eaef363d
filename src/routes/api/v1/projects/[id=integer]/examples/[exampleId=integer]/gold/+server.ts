import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { markGold, unmarkGold, type GoldResult } from '$lib/server/gold';
import { apiProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

const refused = (result: Exclude<GoldResult, { ok: true }>) =>
	json({ message: result.message }, { status: result.status });

/** Marks the example gold with its true rating, as its page does. */
export const POST: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.markGold.body.safeParse(read.body);
	if (!parsed.success) return invalid('The gold rating has a problem.', parsed.error);
	const { goldRating } = parsed.data;
	const result = await markGold(
		event.locals.db,
		project.id,
		Number(event.params.exampleId),
		goldRating,
		new Date()
	);
	if (!result.ok) return refused(result);
	return json({ gold: true, goldRating });
};

/** Takes the example out of gold; its own reviews settle it again. */
export const DELETE: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const result = await unmarkGold(
		event.locals.db,
		project.id,
		Number(event.params.exampleId),
		new Date()
	);
	if (!result.ok) return refused(result);
	return json({ gold: false });
};
