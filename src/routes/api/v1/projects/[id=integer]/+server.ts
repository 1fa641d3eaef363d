import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiMember, apiProjectAdmin } from '$lib/server/guards';
import { changeProject, describeProject } from '$lib/server/projects';
import type { RequestHandler } from './$types';

/** A project's task definition, requirements and queue rules, for any member's token. */
export const GET: RequestHandler = async (event) => {
	const { project, user } = await apiMember(event, Number(event.params.id));
	return json(await describeProject(event.locals.db, project, user));
};

/** Changes what is given, as the settings page would save it; the rest stays. */
export const PATCH: RequestHandler = async (event) => {
	const { project, user } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.updateProject.body.safeParse(read.body);
	if (!parsed.success) return invalid('The change has a problem.', parsed.error);
	const db = event.locals.db;
	const changed = await changeProject(db, project, parsed.data);
	if (!changed.ok) {
		return json(
			{ message: 'The project has a problem; nothing changed.', issues: changed.errors },
			{ status: changed.status }
		);
	}
	return json(await describeProject(db, changed.project, user));
};
