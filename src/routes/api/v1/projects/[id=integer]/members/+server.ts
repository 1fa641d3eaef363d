import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiProjectAdmin } from '$lib/server/guards';
import { addMember, isMember, listMembers } from '$lib/server/projects';
import { getUserByUsername } from '$lib/server/users';
import type { RequestHandler } from './$types';

/** The project's members, as the Members page lists them. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	return json({ members: await listMembers(event.locals.db, project.id) });
};

/** Adds an active person by username, as the Members page does; adding a member again is no change. */
export const POST: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.addMember.body.safeParse(read.body);
	if (!parsed.success) return invalid('Say whom to add.', parsed.error);
	const db = event.locals.db;
	const person = await getUserByUsername(db, parsed.data.username);
	if (!person || !person.active) {
		return json(
			{
				message: 'That person does not exist or is deactivated.',
				issues: { username: ['That person does not exist or is deactivated.'] }
			},
			{ status: 400 }
		);
	}
	const already = await isMember(db, project.id, person.id);
	if (!already) await addMember(db, project.id, person.id);
	const member = (await listMembers(db, project.id)).find((m) => m.id === person.id)!;
	return json(member, { status: already ? 200 : 201 });
};
