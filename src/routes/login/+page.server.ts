import { fail, redirect } from '@sveltejs/kit';
import { loginSchema, safeNext } from '$lib/schemas/auth';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { startSession } from '$lib/server/auth';
import { retryMessage } from '$lib/server/throttle';
import { authenticate } from '$lib/server/users';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	if (locals.user) redirect(303, safeNext(url.searchParams.get('next'), url.origin));
	return {};
};

export const actions: Actions = {
	default: async (event) => {
		const { locals, request, url } = event;
		const form = await request.formData();
		const values = { username: formText(form, 'username') };
		const parsed = loginSchema.safeParse({ ...values, password: formText(form, 'password') });
		if (!parsed.success) return fail(400, { values, errors: fieldErrors(parsed.error) });
		const result = await authenticate(
			locals.db,
			parsed.data.username,
			parsed.data.password,
			event.getClientAddress()
		);
		if (!result.ok && result.reason === 'throttled') {
			return fail(429, { values, message: retryMessage(result.retryAfterSeconds) });
		}
		if (!result.ok) {
			return fail(400, { values, message: 'Wrong username or password.' });
		}
		await startSession(locals.db, event, result.user.id);
		redirect(303, safeNext(url.searchParams.get('next'), url.origin));
	}
};
