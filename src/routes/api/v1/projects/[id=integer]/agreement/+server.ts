import { json } from '@sveltejs/kit';
import { projectAgreement } from '$lib/server/agreement';
import { apiProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/** The agreement page's figures, from the same module. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	return json(await projectAgreement(event.locals.db, project.id));
};
