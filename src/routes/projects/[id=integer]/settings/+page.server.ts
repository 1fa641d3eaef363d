import { fail } from '@sveltejs/kit';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { applyRequirementIntent, projectFormValues, projectSchema } from '$lib/schemas/project';
import { queueSettingsSchema } from '$lib/schemas/queueSettings';
import { requireProjectAdmin } from '$lib/server/guards';
import { queueSettingsOf, updateQueueSettings } from '$lib/server/queuePriority';
import {
	archiveProject,
	getProject,
	projectSchemaErrors,
	restoreProject,
	projectToFormValues,
	updateProject
} from '$lib/server/projects';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	return {
		values: await projectToFormValues(event.locals.db, project),
		queue: queueSettingsOf(project),
		archivedAt: project.archivedAt
	};
};

export const actions: Actions = {
	queue: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const values = {
			leaseMinutes: formText(form, 'leaseMinutes'),
			queueOrder: formText(form, 'queueOrder'),
			priorityTag: formText(form, 'priorityTag'),
			repairerReviewCounts: formText(form, 'repairerReviewCounts'),
			goldPercent: formText(form, 'goldPercent'),
			auditPercent: formText(form, 'auditPercent')
		};
		const parsed = queueSettingsSchema.safeParse(values);
		if (!parsed.success) {
			return fail(400, { queueValues: values, queueErrors: fieldErrors(parsed.error) });
		}
		await updateQueueSettings(event.locals.db, project.id, parsed.data, new Date());
		return { queueSaved: true };
	},
	save: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const values = projectFormValues(form);
		const edited = applyRequirementIntent(values, formText(form, 'intent'));
		if (edited) return { values: edited, errors: {}, saved: false };
		const parsed = projectSchema.safeParse(values);
		if (!parsed.success) return fail(400, { values, errors: fieldErrors(parsed.error) });
		const schemaErrors = projectSchemaErrors(parsed.data);
		if (Object.keys(schemaErrors).length > 0) return fail(400, { values, errors: schemaErrors });
		const updated = await updateProject(event.locals.db, project.id, parsed.data);
		if (!updated.ok) return fail(409, { values, errors: updated.errors });
		const saved = await projectToFormValues(
			event.locals.db,
			(await getProject(event.locals.db, project.id))!
		);
		return { values: saved, errors: {}, saved: true };
	},
	archive: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const archived = await archiveProject(event.locals.db, project.id, new Date());
		if (!archived.ok) return fail(409, { archiveMessage: archived.message });
		return { archived: true };
	},
	restore: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const restored = await restoreProject(event.locals.db, project.id, new Date());
		if (!restored.ok) return fail(409, { archiveMessage: restored.message });
		return { restored: true };
	}
};
