import { error } from '@sveltejs/kit';
import { requireProjectAdmin } from '$lib/server/guards';
import { projectAgreement } from '$lib/server/agreement';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const agreement = await projectAgreement(event.locals.db, project.id);
	if (!agreement) error(404, 'No such project.');
	return { agreement };
};
