import { json } from '@sveltejs/kit';
import { apiUser } from '$lib/server/guards';
import { listProjectsForUser } from '$lib/server/projects';
import type { RequestHandler } from './$types';

/** The projects the token's owner may see. */
export const GET: RequestHandler = async (event) => {
	const user = apiUser(event);
	return json({ projects: await listProjectsForUser(event.locals.db, user) });
};
