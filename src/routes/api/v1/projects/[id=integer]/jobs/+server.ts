import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid, invalidInParts } from '$lib/server/apiResponses';
import { apiOpenProjectAdmin, apiProjectAdmin } from '$lib/server/guards';
import { createJob, listJobs } from '$lib/server/jobs';
import { missingModelIds } from '$lib/server/providers';
import { runnableJudge } from '$lib/server/judges/run';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	return json({ jobs: await listJobs(event.locals.db, project.id) });
};

/** Starts a distillation job over the given inputs. */
export const POST: RequestHandler = async (event) => {
	const { user, project } = await apiOpenProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.startJob.body.safeParse(read.body);
	if (!parsed.success) {
		return invalidInParts(parsed.error, 'The job has a problem.', [
			['settings', 'The settings have a problem.']
		]);
	}
	const unknown = await missingModelIds(event.locals.db, parsed.data.modelIds);
	if (unknown.length > 0) return invalid(`No model with id ${unknown.join(', ')}.`);
	const { judgeId } = parsed.data;
	if (judgeId) {
		const runnable = await runnableJudge(event.locals.db, project.id, judgeId);
		if (!runnable.ok) return invalid(runnable.message);
	}
	const jobId = await createJob(event.locals.db, project, user.id, {
		modelIds: parsed.data.modelIds,
		settings: parsed.data.settings,
		inputs: parsed.data.inputs,
		judgeId,
		source: { kind: 'file', filename: 'api' }
	});
	event.locals.jobs.wake();
	return json({ id: jobId }, { status: 201 });
};
