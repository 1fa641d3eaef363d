import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { judgeRunSchema } from '$lib/schemas/judge';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiOpenProjectAdmin } from '$lib/server/guards';
import { startJudgeRun, startPairwiseRun } from '$lib/server/judges/run';
import type { RequestHandler } from './$types';

/**
 * Starts a run of the judge over a selection, or a pairwise comparison of two evaluated models;
 * follow it as a job (GET /jobs/{jobId}).
 */
export const POST: RequestHandler = async (event) => {
	const { user, project } = await apiOpenProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const body = OPERATIONS.startJudgeRun.body.safeParse(read.body);
	if (!body.success) return invalid('The run has a problem.', body.error);
	if (body.data.selection === 'pairwise') {
		const models = body.data.modelIds;
		if (!models) return invalid('Give modelIds: the baseline model’s id and the other model’s.');
		const compared = await startPairwiseRun(
			event.locals.db,
			project,
			Number(event.params.judgeId),
			models,
			user.id,
			{ concurrency: Math.min(32, Math.max(1, body.data.concurrency ?? 4)) }
		);
		if (!compared.ok) return invalid(compared.message);
		event.locals.jobs.wake();
		return json({ jobId: compared.jobId, items: compared.items }, { status: 201 });
	}
	const parsed = judgeRunSchema.safeParse({
		selection: body.data.selection,
		number: String(body.data.jobId ?? body.data.importId ?? ''),
		concurrency: String(body.data.concurrency ?? 4)
	});
	if (!parsed.success) return invalid('The run has a problem.', parsed.error);
	const started = await startJudgeRun(
		event.locals.db,
		project,
		Number(event.params.judgeId),
		parsed.data.selection,
		user.id,
		{ concurrency: parsed.data.concurrency }
	);
	if (!started.ok) return invalid(started.message);
	event.locals.jobs.wake();
	return json({ jobId: started.jobId, items: started.items }, { status: 201 });
};
