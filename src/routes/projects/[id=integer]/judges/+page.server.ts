import { fail, redirect } from '@sveltejs/kit';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { JUDGE_FIELDS, judgeFormSchema } from '$lib/schemas/judge';
import { requireProjectAdmin } from '$lib/server/guards';
import { createJudge, DEFAULT_RUBRIC, listJudges, rubricAsSent } from '$lib/server/judges';
import { modelChoices } from '$lib/server/providers';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const db = event.locals.db;
	return {
		judges: await listJudges(db, project.id),
		models: (await modelChoices(db)).map((m) => ({ id: m.id, label: m.label })),
		defaults: {
			name: '',
			modelId: '',
			rubric: DEFAULT_RUBRIC,
			temperature: '0',
			withReference: ''
		},
		asSent: await rubricAsSent(db, project, DEFAULT_RUBRIC)
	};
};

export const actions: Actions = {
	create: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const values = Object.fromEntries(JUDGE_FIELDS.map((f) => [f, formText(form, f)]));
		const parsed = judgeFormSchema.safeParse(values);
		if (!parsed.success) return fail(400, { values, errors: fieldErrors(parsed.error) });
		const made = await createJudge(event.locals.db, project.id, parsed.data, user.id);
		if (!made.ok) return fail(made.status, { values, errors: { [made.field]: [made.message] } });
		redirect(303, `/projects/${project.id}/judges/${made.judgeId}`);
	}
};
