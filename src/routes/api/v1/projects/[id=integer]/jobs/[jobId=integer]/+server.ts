import { error, json } from '@sveltejs/kit';
import { apiProjectAdmin } from '$lib/server/guards';
import { getJob, jobProgress } from '$lib/server/jobs';
import type { RequestHandler } from './$types';

/** A job's progress: counts, tokens, cost, rate and time left. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const found = await getJob(event.locals.db, project.id, Number(event.params.jobId));
	if (!found) error(404, 'No such job in this project.');
	return json(await jobProgress(event.locals.db, found));
};
