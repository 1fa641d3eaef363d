import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiAdmin } from '$lib/server/guards';
import { createUser, listUsers, UsernameTakenError } from '$lib/server/users';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	apiAdmin(event);
	return json({ users: await listUsers(event.locals.db) });
};

/** Makes an account as the Users page does: the same rules for names and passwords. */
export const POST: RequestHandler = async (event) => {
	apiAdmin(event);
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.createUser.body.safeParse(read.body);
	if (!parsed.success) return invalid('The account has a problem.', parsed.error);
	try {
		const created = await createUser(event.locals.db, parsed.data);
		const { id, username, displayName, role, active, createdAt } = created;
		return json({ id, username, displayName, role, active, createdAt }, { status: 201 });
	} catch (e) {
		if (e instanceof UsernameTakenError) {
			return json({ message: e.message, issues: { username: [e.message] } }, { status: 409 });
		}
		throw e;
	}
};
