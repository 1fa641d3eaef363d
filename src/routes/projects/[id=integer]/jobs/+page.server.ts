import { requireProjectAdmin } from '$lib/server/guards';
import { listJobs } from '$lib/server/jobs';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	const { project } = requireProjectAdmin(event, Number(event.params.id));
	return { jobs: listJobs(event.locals.db, project.id) };
};
