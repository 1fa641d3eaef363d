import { fail, redirect } from '@sveltejs/kit';
import { setupSchema } from '$lib/schemas/auth';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { startSession } from '$lib/server/auth';
import { countUsers, createFirstAdmin } from '$lib/server/users';
import type { Actions, PageServerLoad } from './$types';

// Open only while there is no user at all; afterwards it is closed for good.
export const load: PageServerLoad = async ({ locals }) => {
	if ((await countUsers(locals.db)) > 0) redirect(303, '/login');
	return {};
};

export const actions: Actions = {
	default: async (event) => {
		const { locals, request } = event;
		if ((await countUsers(locals.db)) > 0) redirect(303, '/login');
		const form = await request.formData();
		const values = {
			username: formText(form, 'username'),
			displayName: formText(form, 'displayName')
		};
		const parsed = setupSchema.safeParse({
			...values,
			password: formText(form, 'password'),
			confirmPassword: formText(form, 'confirmPassword')
		});
		if (!parsed.success) return fail(400, { values, errors: fieldErrors(parsed.error) });
		const admin = await createFirstAdmin(locals.db, parsed.data);
		if (!admin) redirect(303, '/login');
		await startSession(locals.db, event, admin.id);
		redirect(303, '/projects');
	}
};
