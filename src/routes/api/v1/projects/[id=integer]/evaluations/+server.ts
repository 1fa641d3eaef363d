import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid, invalidInParts } from '$lib/server/apiResponses';
import { apiOpenProjectAdmin, apiProjectAdmin } from '$lib/server/guards';
import { startEvaluation } from '$lib/server/iterations';
import { listJobs } from '$lib/server/jobs';
import type { RequestHandler } from './$types';

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
	const { user, project } = await apiOpenProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.startEvaluation.body.safeParse(read.body);
	if (!parsed.success) {
		return invalidInParts(parsed.error, 'The evaluation has a problem.', [
			['settings', 'The settings have a problem.']
		]);
	}
	const started = await startEvaluation(event.locals.db, project, user.id, parsed.data);
	if (!started.ok) return invalid(started.message);
	event.locals.jobs.wake();
	return json({ id: started.jobId }, { status: 201 });
};
