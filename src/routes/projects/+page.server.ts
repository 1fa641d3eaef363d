import { requireLogin } from '$lib/server/guards';
import { installProgress } from '$lib/server/gettingStarted';
import { listProjectsForUser } from '$lib/server/projects';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const user = requireLogin(event);
	const db = event.locals.db;
	return {
		projects: await listProjectsForUser(db, user),
		archived: await listProjectsForUser(db, user, { archived: true }),
		setup: user.role === 'admin' ? await installProgress(db) : null
	};
};
