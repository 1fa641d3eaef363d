import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { apiSettingsSchema, JOB_SETTING_DEFAULTS, jobSettingsSchema } from '$lib/schemas/job';
import { asFormValues } from '$lib/schemas/forms';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiProjectAdmin } from '$lib/server/guards';
import { createJob, listJobs } from '$lib/server/jobs';
import { missingModelIds } from '$lib/server/providers';
import { runnableJudge } from '$lib/server/judges/run';
import type { RequestHandler } from './$types';

const bodySchema = z.object({
	modelIds: z
		.array(z.number().int().positive(), 'Give modelIds as a list of model ids.')
		.min(1, 'Give at least one model id.'),
	inputs: z
		.array(z.string().trim().min(1, 'An input cannot be empty.'), 'Give inputs as a list of texts.')
		.min(1, 'Give at least one input.')
		.max(100_000, 'Start at most 100,000 inputs at a time.'),
	settings: apiSettingsSchema,
	/** A judge of the project that judges each output as it arrives. */
	judgeId: z.number('Give judgeId as a judge’s id.').int().positive().nullish()
});

export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	return json({ jobs: await listJobs(event.locals.db, project.id) });
};

/** Starts a distillation job over the given inputs. */
export const POST: RequestHandler = async (event) => {
	const { user, project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = bodySchema.safeParse(read.body);
	if (!parsed.success) return invalid('The job has a problem.', parsed.error);
	const settings = jobSettingsSchema.safeParse({
		...JOB_SETTING_DEFAULTS,
		...asFormValues(parsed.data.settings)
	});
	if (!settings.success) return invalid('The settings have a problem.', settings.error);
	const unknown = await missingModelIds(event.locals.db, parsed.data.modelIds);
	if (unknown.length > 0) return invalid(`No model with id ${unknown.join(', ')}.`);
	const { judgeId } = parsed.data;
	if (judgeId) {
		const runnable = await runnableJudge(event.locals.db, project.id, judgeId);
		if (!runnable.ok) return invalid(runnable.message);
	}
	const jobId = await createJob(event.locals.db, project, user.id, {
		modelIds: parsed.data.modelIds,
		settings: settings.data,
		inputs: parsed.data.inputs,
		judgeId,
		source: { kind: 'file', filename: 'api' }
	});
	event.locals.jobs.wake();
	return json({ id: jobId }, { status: 201 });
};
