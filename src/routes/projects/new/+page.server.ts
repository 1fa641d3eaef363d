import { fail, redirect } from '@sveltejs/kit';
import { fieldErrors, formText } from '$lib/schemas/forms';
import {
	applyRequirementIntent,
	DEFAULT_PROJECT_VALUES,
	projectFormValues,
	projectSchema
} from '$lib/schemas/project';
import { requireRole } from '$lib/server/guards';
import { createProject, projectSchemaErrors } from '$lib/server/projects';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	requireRole(event, 'admin');
	return { values: DEFAULT_PROJECT_VALUES };
};

export const actions: Actions = {
	default: async (event) => {
		const admin = requireRole(event, 'admin');
		const form = await event.request.formData();
		const values = projectFormValues(form);
		const edited = applyRequirementIntent(values, formText(form, 'intent'));
		if (edited) return { values: edited, errors: {} };
		const parsed = projectSchema.safeParse(values);
		if (!parsed.success) return fail(400, { values, errors: fieldErrors(parsed.error) });
		const schemaErrors = projectSchemaErrors(parsed.data);
		if (Object.keys(schemaErrors).length > 0) return fail(400, { values, errors: schemaErrors });
		const created = await createProject(event.locals.db, parsed.data, admin.id);
		redirect(303, `/projects/${created.id}`);
	}
};
