import { compareModels } from '$lib/server/comparisons';
import { fail, redirect } from '@sveltejs/kit';
import {
	EVALUATION_SETTING_DEFAULTS,
	evaluationFormSchema,
	evaluationFromForm,
	sideBySideQuerySchema
} from '$lib/schemas/iteration';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { listDatasets } from '$lib/server/datasets';
import { requireProjectAdmin } from '$lib/server/guards';
import { PROJECT_ARCHIVED } from '$lib/server/projects';
import { listIterations, startEvaluation } from '$lib/server/iterations';
import { evaluationAnswers, iterationFigures, sideBySide } from '$lib/server/iterations/figures';
import { judgedEstimates, pairwiseResults } from '$lib/server/iterations/judged';
import { listJudges } from '$lib/server/judges';
import { startPairwiseRun } from '$lib/server/judges/run';
import { pairwiseFormSchema, peopleCompareSchema } from '$lib/schemas/judge';
import { modelChoices } from '$lib/server/providers';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const db = event.locals.db;
	const query = sideBySideQuerySchema.safeParse(Object.fromEntries(event.url.searchParams));
	const { a, b, page, scope } = query.success ? query.data : sideBySideQuerySchema.parse({});
	// One read of the evaluation answers serves the figures and the side-by-side view.
	const answers = await evaluationAnswers(db, project);
	const figures = await iterationFigures(db, project, answers, scope);
	const ids = figures.models.map((m) => m.modelId);
	// By default the two newest models: the latest student beside the one before it.
	const left = a !== undefined && ids.includes(a) ? a : ids.at(-2);
	const right = b !== undefined && ids.includes(b) ? b : ids.at(-1);
	return {
		figures,
		judged: await judgedEstimates(db, project, answers, figures),
		pairwise: await pairwiseResults(db, project, answers),
		judges: (await listJudges(db, project.id))
			.filter((j) => j.modelId !== null)
			.map((j) => ({ id: j.id, name: j.name })),
		compare:
			left !== undefined && right !== undefined && left !== right
				? { a: left, b: right, ...(await sideBySide(db, project, answers, left, right, page, 10)) }
				: null,
		iterations: await listIterations(db, project.id),
		datasets: (await listDatasets(db, project.id)).map((d) => ({
			id: d.id,
			name: d.name,
			testCount: d.testCount
		})),
		models: await modelChoices(db),
		ratingScale: project.ratingScale,
		defaults: EVALUATION_SETTING_DEFAULTS
	};
};

export const actions: Actions = {
	evaluate: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const chosen = form.getAll('modelId').map(String);
		const datasetId = String(form.get('datasetId') ?? '');
		const { values, splits, settings } = evaluationFromForm(form);
		const parsed = evaluationFormSchema.safeParse({ modelIds: chosen, datasetId, splits });
		const errors = {
			...(parsed.success ? {} : fieldErrors(parsed.error)),
			...(settings.success ? {} : fieldErrors(settings.error))
		};
		const kept = { values: { ...values, datasetId }, chosen, splits };
		if (!parsed.success || !settings.success) return fail(400, { ...kept, errors });
		if (project.archivedAt) return fail(409, { ...kept, errors: { form: [PROJECT_ARCHIVED] } });
		const started = await startEvaluation(event.locals.db, project, user.id, {
			...parsed.data,
			settings: settings.data
		});
		if (!started.ok) return fail(400, { ...kept, errors: { form: [started.message] } });
		event.locals.jobs.wake();
		redirect(303, `/projects/${project.id}/jobs/${started.jobId}`);
	},
	compare: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const values = {
			judgeId: formText(form, 'judgeId'),
			baselineId: formText(form, 'baselineId'),
			challengerId: formText(form, 'challengerId')
		};
		const parsed = pairwiseFormSchema.safeParse(values);
		if (!parsed.success) {
			return fail(400, { pairwiseValues: values, pairwiseErrors: fieldErrors(parsed.error) });
		}
		const { judgeId, baselineId, challengerId } = parsed.data;
		if (project.archivedAt) {
			return fail(409, { pairwiseValues: values, pairwiseErrors: { form: [PROJECT_ARCHIVED] } });
		}
		const started = await startPairwiseRun(
			event.locals.db,
			project,
			judgeId,
			[baselineId, challengerId],
			user.id
		);
		if (!started.ok) {
			return fail(400, { pairwiseValues: values, pairwiseErrors: { form: [started.message] } });
		}
		event.locals.jobs.wake();
		redirect(303, `/projects/${project.id}/jobs/${started.jobId}`);
	},
	comparePeople: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const values = {
			firstModelId: formText(form, 'firstModelId'),
			secondModelId: formText(form, 'secondModelId')
		};
		const parsed = peopleCompareSchema.safeParse(values);
		if (!parsed.success) {
			return fail(400, { peopleValues: values, peopleErrors: fieldErrors(parsed.error) });
		}
		const queued = await compareModels(
			event.locals.db,
			project,
			parsed.data.firstModelId,
			parsed.data.secondModelId,
			user.id,
			new Date()
		);
		if (!queued.ok) {
			return fail(queued.status, {
				peopleValues: values,
				peopleErrors: { form: [queued.message] }
			});
		}
		redirect(303, `/projects/${project.id}/compare`);
	}
};
