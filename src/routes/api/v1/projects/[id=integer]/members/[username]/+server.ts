import { error, json } from '@sveltejs/kit';
import { apiProjectAdmin } from '$lib/server/guards';
import { isMember, removeMember } from '$lib/server/projects';
import { getUserByUsername } from '$lib/server/users';
import type { RequestHandler } from './$types';

/** Takes a person off the project, as the Members page does; their reviews stay. */
export const DELETE: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const db = event.locals.db;
	const person = await getUserByUsername(db, event.params.username);
	if (!person || !(await isMember(db, project.id, person.id))) {
		error(404, 'No such member of this project.');
	}
	await removeMember(db, project.id, person.id);
	return json({ removed: true });
};
