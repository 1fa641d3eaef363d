import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { invalid } from '$lib/server/apiResponses';
import { listDisputed } from '$lib/server/adjudication';
import { apiProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

const PAGE_SIZE = 50;

/** The disputed examples, in the adjudication list's orders. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const parsed = OPERATIONS.listDisputes.query.safeParse(
		Object.fromEntries(event.url.searchParams)
	);
	if (!parsed.success) return invalid('The query has a problem.', parsed.error);
	const { order, page } = parsed.data;
	return json(
		await listDisputed(event.locals.db, project.id, {
			limit: PAGE_SIZE,
			offset: (page - 1) * PAGE_SIZE,
			order
		})
	);
};
