import { requireLogin } from '$lib/server/guards';
import { listProjectsForUser } from '$lib/server/projects';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const user = requireLogin(event);
	return { projects: await listProjectsForUser(event.locals.db, user) };
};
