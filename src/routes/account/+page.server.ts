import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { changePasswordSchema } from '$lib/schemas/auth';
import { fieldErrors, formText, type FieldErrors } from '$lib/schemas/forms';
import { endSession, invalidateUserSessions, listUserSessions } from '$lib/server/auth';
import { createApiToken, listApiTokens, revokeApiToken } from '$lib/server/apiTokens';
import { requireLogin } from '$lib/server/guards';
import { retryMessage } from '$lib/server/throttle';
import { THEMES } from '$lib/server/db/schema';
import { changeOwnPassword, setUserTheme } from '$lib/server/users';
import type { Actions, PageServerLoad } from './$types';

const tokenNameSchema = z
	.string()
	.trim()
	.min(1, 'Name the token after what will use it, such as “nightly import”.')
	.max(80, 'Keep the name under 80 characters.');

export const load: PageServerLoad = async (event) => {
	const user = requireLogin(event);
	return {
		tokens: await listApiTokens(event.locals.db, user.id),
		sessions: await listUserSessions(event.locals.db, user.id),
		currentSessionId: event.locals.session?.id ?? null
	};
};

const themeSchema = z.enum(THEMES, 'Choose how your screens are drawn.');

export const actions: Actions = {
	setTheme: async (event) => {
		const user = requireLogin(event);
		const theme = themeSchema.safeParse(formText(await event.request.formData(), 'theme'));
		if (!theme.success) {
			return fail(400, { action: 'setTheme', errors: { theme: fieldErrors(theme.error).form } });
		}
		await setUserTheme(event.locals.db, user.id, theme.data);
		// This very answer is drawn in the new theme, with or without scripts.
		user.theme = theme.data;
		return {
			action: 'setTheme',
			message: 'Theme saved: it follows you to any browser you log in on.'
		};
	},
	createToken: async (event) => {
		const user = requireLogin(event);
		const form = await event.request.formData();
		const name = tokenNameSchema.safeParse(formText(form, 'name'));
		if (!name.success) {
			return fail(400, { action: 'createToken', errors: fieldErrors(name.error) });
		}
		const created = await createApiToken(event.locals.db, user.id, name.data);
		// Shown this once; only its hash is kept.
		return { action: 'createToken', token: created.token, name: name.data };
	},
	revokeToken: async (event) => {
		const user = requireLogin(event);
		const id = z.coerce
			.number()
			.int()
			.positive()
			.safeParse(formText(await event.request.formData(), 'tokenId'));
		if (!id.success)
			return fail(400, { action: 'revokeToken', message: 'Choose a token to revoke.' });
		if (!(await revokeApiToken(event.locals.db, user.id, id.data))) {
			return fail(404, { action: 'revokeToken', message: 'No such live token of yours.' });
		}
		return {
			action: 'revokeToken',
			message: 'Token revoked: scripts using it are refused from now on.'
		};
	},
	changePassword: async (event) => {
		const user = requireLogin(event);
		const form = await event.request.formData();
		const parsed = changePasswordSchema([user.username, user.displayName]).safeParse({
			currentPassword: formText(form, 'currentPassword'),
			password: formText(form, 'password'),
			confirmPassword: formText(form, 'confirmPassword')
		});
		if (!parsed.success) {
			return fail(400, { action: 'changePassword', errors: fieldErrors(parsed.error) });
		}
		const result = await changeOwnPassword(
			event.locals.db,
			user.username,
			parsed.data.currentPassword,
			parsed.data.password,
			event.getClientAddress(),
			event.locals.session?.id
		);
		if (!result.ok) {
			const errors: FieldErrors = {
				currentPassword: [
					result.reason === 'throttled'
						? retryMessage(result.retryAfterSeconds)
						: 'That is not your current password.'
				]
			};
			return fail(result.reason === 'throttled' ? 429 : 400, { action: 'changePassword', errors });
		}
		return {
			action: 'changePassword',
			message:
				'Password changed. Your other sessions have ended and your access tokens are revoked.'
		};
	},
	endSession: async (event) => {
		const user = requireLogin(event);
		const sessionId = z
			.string()
			.min(1)
			.safeParse(formText(await event.request.formData(), 'sessionId'));
		if (!sessionId.success) {
			return fail(400, { action: 'sessions', message: 'Choose a session to end.' });
		}
		if (sessionId.data === event.locals.session?.id) {
			return fail(409, {
				action: 'sessions',
				message: 'That is the session you are using: log out to end it.'
			});
		}
		if (!(await endSession(event.locals.db, user.id, sessionId.data))) {
			return fail(404, { action: 'sessions', message: 'No such session of yours.' });
		}
		return { action: 'sessions', message: 'Session ended: it is logged out.' };
	},
	endOtherSessions: async (event) => {
		const user = requireLogin(event);
		await invalidateUserSessions(event.locals.db, user.id, event.locals.session?.id);
		return { action: 'sessions', message: 'Your other sessions have ended.' };
	}
};
