import { error, json } from '@sveltejs/kit';
import { listExampleReviews } from '$lib/server/examples';
import { apiMember } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/** An example's reviews, as its page shows them to any member of the project. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiMember(event, Number(event.params.id));
	const reviews = await listExampleReviews(
		event.locals.db,
		project.id,
		Number(event.params.exampleId)
	);
	if (!reviews) error(404, 'No such example in this project.');
	return json({ reviews });
};
