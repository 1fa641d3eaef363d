import { error, json } from '@sveltejs/kit';
import { listApiTokens, revokeAllApiTokens } from '$lib/server/apiTokens';
import { apiAdmin } from '$lib/server/guards';
import { getUserByUsername } from '$lib/server/users';
import type { RequestEvent, RequestHandler } from './$types';

async function person(event: RequestEvent) {
	apiAdmin(event);
	const found = await getUserByUsername(event.locals.db, event.params.username);
	if (!found) error(404, 'No such person.');
	return found;
}

export const GET: RequestHandler = async (event) => {
	const { id } = await person(event);
	const tokens = await listApiTokens(event.locals.db, id);
	return json({
		tokens: tokens.map(({ id, name, createdAt, lastUsedAt, revokedAt }) => ({
			id,
			name,
			createdAt,
			lastUsedAt,
			revokedAt
		}))
	});
};

/** Revokes every live token of the person, as a password reset does. */
export const DELETE: RequestHandler = async (event) => {
	const { id } = await person(event);
	return json({ revoked: await revokeAllApiTokens(event.locals.db, id) });
};
