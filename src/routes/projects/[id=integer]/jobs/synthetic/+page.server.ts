import { fail, redirect } from '@sveltejs/kit';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { SYNTHETIC_DEFAULTS, syntheticRunSchema } from '$lib/schemas/job';
import { requireProjectAdmin } from '$lib/server/guards';
import { PROJECT_ARCHIVED } from '$lib/server/projects';
import { createRun, deleteRun, getRun, growTree, listRuns } from '$lib/server/jobs/synthetic';
import { modelChoices } from '$lib/server/providers';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	return {
		runs: await listRuns(event.locals.db, project.id),
		models: await modelChoices(event.locals.db),
		defaults: SYNTHETIC_DEFAULTS
	};
};

export const actions: Actions = {
	create: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const db = event.locals.db;
		const form = await event.request.formData();
		const values = Object.fromEntries(
			['modelId', ...Object.keys(SYNTHETIC_DEFAULTS)].map((f) => [f, formText(form, f)])
		);
		const parsed = syntheticRunSchema.safeParse(values);
		if (!parsed.success) return fail(400, { values, errors: fieldErrors(parsed.error) });
		if (!(await modelChoices(db)).some((m) => m.id === parsed.data.modelId)) {
			return fail(400, { values, errors: { modelId: ['That model no longer exists.'] } });
		}
		if (project.archivedAt) return fail(409, { values, errors: { form: [PROJECT_ARCHIVED] } });
		const runId = await createRun(db, project.id, parsed.data, user.id);
		const grown = await growTree(
			db,
			event.locals.secretKey,
			(await getRun(db, project.id, runId))!
		);
		if (!grown.ok) {
			// Nothing is kept of a tree the teacher could not grow.
			await deleteRun(db, runId);
			return fail(502, { values, errors: { form: [grown.message] } });
		}
		redirect(303, `/projects/${project.id}/jobs/synthetic/${runId}`);
	}
};
