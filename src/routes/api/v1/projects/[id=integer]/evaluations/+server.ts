import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { apiSettingsSchema } from '$lib/schemas/job';
import {
	EVALUATION_SETTING_DEFAULTS,
	evaluationSettingsSchema,
	evaluationSplitsSchema
} from '$lib/schemas/iteration';
import { asFormValues } from '$lib/schemas/forms';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiProjectAdmin } from '$lib/server/guards';
import { startEvaluation } from '$lib/server/iterations';
import { listJobs } from '$lib/server/jobs';
import type { RequestHandler } from './$types';

const bodySchema = z.object({
	modelIds: z
		.array(z.number().int().positive(), 'Give modelIds as a list of model ids.')
		.min(1, 'Give at least one model id.')
		.max(8, 'Evaluate at most 8 models at once.'),
	datasetId: z.number('Give the datasetId whose inputs to use.').int().positive(),
	splits: evaluationSplitsSchema.default(['test']),
	settings: apiSettingsSchema
});

export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	return json({
		evaluations: (await listJobs(event.locals.db, project.id)).filter(
			(j) => j.kind === 'evaluation'
		)
	});
};

/** Starts an evaluation run: each model answers the dataset's inputs in the given splits. */
export const POST: RequestHandler = async (event) => {
	const { user, project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = bodySchema.safeParse(read.body);
	if (!parsed.success) return invalid('The evaluation has a problem.', parsed.error);
	const settings = evaluationSettingsSchema.safeParse({
		...EVALUATION_SETTING_DEFAULTS,
		...asFormValues(parsed.data.settings)
	});
	if (!settings.success) return invalid('The settings have a problem.', settings.error);
	const started = await startEvaluation(event.locals.db, project, user.id, {
		...parsed.data,
		settings: settings.data
	});
	if (!started.ok) return invalid(started.message);
	event.locals.jobs.wake();
	return json({ id: started.jobId }, { status: 201 });
};
