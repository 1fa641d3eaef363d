import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { invalid } from '$lib/server/apiResponses';
import { apiProjectAdmin } from '$lib/server/guards';
import { evaluationAnswers, sideBySide } from '$lib/server/iterations/figures';
import type { RequestHandler } from './$types';

/** Two models on the same held-out inputs: their outputs in pairs and the paired comparison. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const query = OPERATIONS.compareModels.query.safeParse(
		Object.fromEntries(event.url.searchParams)
	);
	if (!query.success) return invalid('The query has a problem.', query.error);
	const { a, b, page } = query.data;
	if (a === undefined || b === undefined || a === b) {
		return invalid('Give two different model ids as a and b.');
	}
	const answers = await evaluationAnswers(event.locals.db, project);
	return json(await sideBySide(event.locals.db, project, answers, a, b, page, 50));
};
