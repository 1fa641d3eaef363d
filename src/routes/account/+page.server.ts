import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { createApiToken, listApiTokens, revokeApiToken } from '$lib/server/apiTokens';
import { requireLogin } from '$lib/server/guards';
import type { Actions, PageServerLoad } from './$types';

const tokenNameSchema = z
	.string()
	.trim()
	.min(1, 'Name the token after what will use it, such as “nightly import”.')
	.max(80, 'Keep the name under 80 characters.');

export const load: PageServerLoad = (event) => {
	const user = requireLogin(event);
	return { tokens: listApiTokens(event.locals.db, user.id) };
};

export const actions: Actions = {
	createToken: async (event) => {
		const user = requireLogin(event);
		const form = await event.request.formData();
		const name = tokenNameSchema.safeParse(formText(form, 'name'));
		if (!name.success) return fail(400, { errors: fieldErrors(name.error) });
		const created = createApiToken(event.locals.db, user.id, name.data);
		// Shown this once; only its hash is kept.
		return { token: created.token, name: name.data };
	},
	revokeToken: async (event) => {
		const user = requireLogin(event);
		const id = z.coerce
			.number()
			.int()
			.positive()
			.safeParse(formText(await event.request.formData(), 'tokenId'));
		if (!id.success) return fail(400, { message: 'Choose a token to revoke.' });
		if (!revokeApiToken(event.locals.db, user.id, id.data)) {
			return fail(404, { message: 'No such live token of yours.' });
		}
		return { message: 'Token revoked: scripts using it are refused from now on.' };
	}
};
