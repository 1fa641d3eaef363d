import { json } from '@sveltejs/kit';
import { apiMember } from '$lib/server/guards';
import { describeProject } from '$lib/server/projects';
import type { RequestHandler } from './$types';

/** A project's task definition, requirements and queue rules, for any member's token. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiMember(event, Number(event.params.id));
	return json(await describeProject(event.locals.db, project));
};
