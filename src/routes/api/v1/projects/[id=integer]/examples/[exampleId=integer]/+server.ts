import { error, json } from '@sveltejs/kit';
import { getExampleDetail } from '$lib/server/examples';
import { apiMember } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/** One example with every revision and review; blind for annotators, as on its page. */
export const GET: RequestHandler = async (event) => {
	const { user, project } = await apiMember(event, Number(event.params.id));
	const detail = await getExampleDetail(
		event.locals.db,
		project.id,
		Number(event.params.exampleId),
		user
	);
	if (!detail) error(404, 'No such example in this project.');
	return json(detail);
};
