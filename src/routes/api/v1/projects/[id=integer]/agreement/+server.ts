import { json } from '@sveltejs/kit';
import { projectAgreement } from '$lib/server/agreement';
import { apiProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/** The agreement page's figures, from the same module. */
export const GET: RequestHandler = (event) => {
	const { project } = apiProjectAdmin(event, Number(event.params.id));
	return json(projectAgreement(event.locals.db, project.id));
};
