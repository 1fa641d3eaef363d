import { error, fail, redirect } from '@sveltejs/kit';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { JUDGE_FIELDS, judgeFormSchema, judgeRunSchema } from '$lib/schemas/judge';
import { judgeRuns, startJudgeRun } from '$lib/server/judges/run';
import { judgeAgreement } from '$lib/server/judges/agreement';
import { requireProjectAdmin } from '$lib/server/guards';
import { PROJECT_ARCHIVED } from '$lib/server/projects';
import { deleteJudge, getJudge, rubricAsSent, tryJudge, updateJudge } from '$lib/server/judges';
import { modelChoices } from '$lib/server/providers';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const db = event.locals.db;
	const found = await getJudge(db, project.id, Number(event.params.judgeId));
	if (!found) error(404, 'No such judge in this project.');
	return {
		judge: found,
		scale: project.ratingScale,
		values: {
			name: found.name,
			modelId: found.modelId === null ? '' : String(found.modelId),
			rubric: found.rubric,
			temperature: found.temperature === null ? '' : String(found.temperature),
			withReference: found.withReference ? 'on' : ''
		},
		models: (await modelChoices(db)).map((m) => ({ id: m.id, label: m.label })),
		asSent: await rubricAsSent(db, project, found.rubric),
		measured: await judgeAgreement(db, project, found.id),
		runs: (await judgeRuns(db, project.id, found.id)).map((run) => ({
			...run,
			config: undefined,
			description: (JSON.parse(run.config) as { source?: { description?: string } }).source
				?.description
		}))
	};
};

export const actions: Actions = {
	save: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const values = Object.fromEntries(JUDGE_FIELDS.map((f) => [f, formText(form, f)]));
		const parsed = judgeFormSchema.safeParse(values);
		if (!parsed.success) return fail(400, { values, errors: fieldErrors(parsed.error) });
		const saved = await updateJudge(
			event.locals.db,
			project.id,
			Number(event.params.judgeId),
			parsed.data
		);
		if (!saved.ok)
			return fail(saved.status, { values, errors: { [saved.field]: [saved.message] } });
		return { saved: true };
	},
	try: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const given = formText(form, 'exampleId').trim();
		if (given !== '' && !/^\d{1,15}$/.test(given)) {
			return fail(400, { trialError: 'Give an example number, or leave it empty for the latest.' });
		}
		const trial = await tryJudge(
			event.locals.db,
			event.locals.secretKey,
			project,
			Number(event.params.judgeId),
			given === '' ? null : Number(given)
		);
		if (!trial.ok) return fail(400, { trialError: trial.message });
		return { trial };
	},
	run: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const values = {
			selection: formText(form, 'selection'),
			number: formText(form, 'number'),
			concurrency: formText(form, 'concurrency')
		};
		const parsed = judgeRunSchema.safeParse(values);
		if (!parsed.success)
			return fail(400, { runValues: values, runErrors: fieldErrors(parsed.error) });
		if (project.archivedAt) {
			return fail(409, { runValues: values, runErrors: { form: [PROJECT_ARCHIVED] } });
		}
		const started = await startJudgeRun(
			event.locals.db,
			project,
			Number(event.params.judgeId),
			parsed.data.selection,
			user.id,
			{ concurrency: parsed.data.concurrency }
		);
		if (!started.ok) {
			return fail(400, { runValues: values, runErrors: { form: [started.message] } });
		}
		event.locals.jobs.wake();
		redirect(303, `/projects/${project.id}/jobs/${started.jobId}`);
	},
	delete: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		if (!(await deleteJudge(event.locals.db, project.id, Number(event.params.judgeId)))) {
			error(404, 'No such judge in this project.');
		}
		redirect(303, `/projects/${project.id}/judges`);
	}
};
