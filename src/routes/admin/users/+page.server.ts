import { fail } from '@sveltejs/kit';
import { fieldErrors, formText, type FieldErrors } from '$lib/schemas/forms';
import {
	newUserSchema,
	resetPasswordSchema,
	revokeTokenSchema,
	setActiveSchema,
	setRoleSchema
} from '$lib/schemas/auth';
import { listApiTokens, revokeApiToken } from '$lib/server/apiTokens';
import { requireRole } from '$lib/server/guards';
import {
	changeAccount,
	createUser,
	getUser,
	listUsers,
	resetPassword,
	UsernameTakenError
} from '$lib/server/users';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	return { users: await listUsers(event.locals.db), tokens: await listApiTokens(event.locals.db) };
};

export const actions: Actions = {
	create: async (event) => {
		requireRole(event, 'admin');
		const form = await event.request.formData();
		const values = {
			username: formText(form, 'username'),
			displayName: formText(form, 'displayName'),
			role: formText(form, 'role')
		};
		const parsed = newUserSchema.safeParse({ ...values, password: formText(form, 'password') });
		if (!parsed.success) {
			return fail(400, { action: 'create', values, errors: fieldErrors(parsed.error) });
		}
		try {
			const created = await createUser(event.locals.db, parsed.data);
			return { action: 'create', created: created.username };
		} catch (e) {
			if (e instanceof UsernameTakenError) {
				const errors: FieldErrors = { username: [e.message] };
				return fail(409, { action: 'create', values, errors });
			}
			throw e;
		}
	},
	role: async (event) => {
		const admin = requireRole(event, 'admin');
		const form = await event.request.formData();
		const parsed = setRoleSchema.safeParse({
			userId: formText(form, 'userId'),
			role: formText(form, 'role')
		});
		if (!parsed.success) return fail(400, { action: 'role', message: 'Choose a role.' });
		const { userId, role } = parsed.data;
		const changed = await changeAccount(event.locals.db, admin.id, userId, { role });
		if (!changed.ok) return fail(409, { action: 'role', message: changed.message });
		return { action: 'role', message: 'Role changed.' };
	},
	active: async (event) => {
		const admin = requireRole(event, 'admin');
		const form = await event.request.formData();
		const parsed = setActiveSchema.safeParse({
			userId: formText(form, 'userId'),
			active: formText(form, 'active')
		});
		if (!parsed.success) return fail(400, { action: 'active', message: 'Unknown change.' });
		const { userId, active } = parsed.data;
		const changed = await changeAccount(event.locals.db, admin.id, userId, { active });
		if (!changed.ok) return fail(409, { action: 'active', message: changed.message });
		return {
			action: 'active',
			message: active ? 'Account reactivated.' : 'Account deactivated; its sessions ended.'
		};
	},
	password: async (event) => {
		const admin = requireRole(event, 'admin');
		const form = await event.request.formData();
		const userId = formText(form, 'userId');
		const target = await getUser(event.locals.db, userId);
		const parsed = resetPasswordSchema(
			target ? [target.username, target.displayName] : []
		).safeParse({ userId, password: formText(form, 'password') });
		if (!parsed.success) {
			return fail(400, { action: 'password', userId, errors: fieldErrors(parsed.error) });
		}
		if (!target) return fail(404, { action: 'password', message: 'No such user.' });
		// An admin resetting their own password stays logged in where they are.
		const keep = target.id === admin.id ? event.locals.session?.id : undefined;
		await resetPassword(event.locals.db, userId, parsed.data.password, keep);
		return {
			action: 'password',
			message: 'Password reset: that person must log in again, and their access tokens are revoked.'
		};
	},
	revokeToken: async (event) => {
		requireRole(event, 'admin');
		const form = await event.request.formData();
		const parsed = revokeTokenSchema.safeParse({
			userId: formText(form, 'userId'),
			tokenId: formText(form, 'tokenId')
		});
		if (!parsed.success) {
			return fail(400, { action: 'revokeToken', message: 'Choose a token to revoke.' });
		}
		if (!(await revokeApiToken(event.locals.db, parsed.data.userId, parsed.data.tokenId))) {
			return fail(404, { action: 'revokeToken', message: 'No such live token.' });
		}
		return {
			action: 'revokeToken',
			message: 'Token revoked: scripts using it are refused from now on.'
		};
	}
};
