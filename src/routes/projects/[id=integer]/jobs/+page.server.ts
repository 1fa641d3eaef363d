import { requireProjectAdmin } from '$lib/server/guards';
import { listJobs } from '$lib/server/jobs';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	return { jobs: await listJobs(event.locals.db, project.id) };
};
