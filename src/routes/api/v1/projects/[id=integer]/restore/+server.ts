import { json } from '@sveltejs/kit';
import { invalid } from '$lib/server/apiResponses';
import { apiProjectAdmin } from '$lib/server/guards';
import { describeProject, restoreProject } from '$lib/server/projects';
import type { RequestHandler } from './$types';

/** Brings the archived project back. */
export const POST: RequestHandler = async (event) => {
	const { project, user } = await apiProjectAdmin(event, Number(event.params.id));
	const done = await restoreProject(event.locals.db, project.id, new Date());
	if (!done.ok) return invalid(done.message, undefined, 409);
	return json(await describeProject(event.locals.db, done.project, user));
};
