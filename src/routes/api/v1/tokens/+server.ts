import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { createApiToken } from '$lib/server/apiTokens';
import { retryMessage } from '$lib/server/throttle';
import { authenticate } from '$lib/server/users';
import type { RequestHandler } from './$types';

/**
 * A token for the person whose password is given, checked and throttled exactly as a login is
 * (the same answer for an unknown name, a wrong password and a deactivated account), so a
 * script never needs a browser; and a token is always its owner's own, never made for another.
 */
export const POST: RequestHandler = async (event) => {
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.createToken.body.safeParse(read.body);
	if (!parsed.success) return invalid('The request has a problem.', parsed.error);
	const { username, password, name } = parsed.data;
	const db = event.locals.db;
	const result = await authenticate(db, username, password, event.getClientAddress());
	if (!result.ok && result.reason === 'throttled') {
		return json({ message: retryMessage(result.retryAfterSeconds) }, { status: 429 });
	}
	if (!result.ok) return json({ message: 'Wrong username or password.' }, { status: 400 });
	const made = await createApiToken(db, result.user.id, name);
	return json({ id: made.id, name, token: made.token }, { status: 201 });
};
