import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiAdmin, apiUser } from '$lib/server/guards';
import { createProject, describeProject, listProjectsForUser } from '$lib/server/projects';
import type { RequestHandler } from './$types';

/** The projects the token's owner may see. */
export const GET: RequestHandler = async (event) => {
	const user = apiUser(event);
	return json({ projects: await listProjectsForUser(event.locals.db, user) });
};

/** Creates a project as the New project page does: the same fields, defaults and rules. */
export const POST: RequestHandler = async (event) => {
	const user = apiAdmin(event);
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	if (typeof read.body !== 'object' || read.body === null || Array.isArray(read.body)) {
		return invalid('Send the project as a JSON object.');
	}
	const parsed = OPERATIONS.createProject.body.safeParse(read.body);
	if (!parsed.success) return invalid('The project has a problem.', parsed.error);
	const created = await createProject(event.locals.db, parsed.data, user.id);
	return json(await describeProject(event.locals.db, created, user), { status: 201 });
};
