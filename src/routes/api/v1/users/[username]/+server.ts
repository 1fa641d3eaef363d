import { error, json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiAdmin } from '$lib/server/guards';
import { changeAccount, getUserByUsername } from '$lib/server/users';
import type { RequestHandler } from './$types';

/** Deactivates, reactivates or changes the role of an account, with the Users page's rules. */
export const PATCH: RequestHandler = async (event) => {
	const admin = apiAdmin(event);
	const db = event.locals.db;
	const target = await getUserByUsername(db, event.params.username);
	if (!target) error(404, 'No such person.');
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.updateUser.body.safeParse(read.body);
	if (!parsed.success) return invalid('Say what to change: active, role or both.', parsed.error);
	const changed = await changeAccount(db, admin.id, target.id, parsed.data);
	if (!changed.ok) return json({ message: changed.message }, { status: 409 });
	return json(changed.user);
};
