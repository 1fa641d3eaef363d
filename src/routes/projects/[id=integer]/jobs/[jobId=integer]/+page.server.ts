import { error, fail } from '@sveltejs/kit';
import { requireProjectAdmin } from '$lib/server/guards';
import {
	callsInFlight,
	controlJob,
	failedItems,
	getJob,
	jobConfigOf,
	jobProgress
} from '$lib/server/jobs';
import { compareJobOutputs } from '$lib/server/comparisons';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	// The page refreshes this while the job runs.
	event.depends('job:progress');
	const found = await getJob(event.locals.db, project.id, Number(event.params.jobId));
	if (!found) error(404, 'No such job in this project.');
	const config = jobConfigOf(found);
	return {
		progress: await jobProgress(event.locals.db, found),
		source: config.source,
		settings: {
			temperature: config.temperature,
			samplesPerInput: config.samplesPerInput,
			fewShot: config.fewShot,
			reasoning: config.reasoning,
			invalidOutputs: config.invalidOutputs
		},
		failed: await failedItems(event.locals.db, found.id),
		inFlight:
			found.status === 'running' || found.status === 'paused'
				? await callsInFlight(event.locals.db, found)
				: null
	};
};

function control(action: 'pause' | 'resume' | 'cancel') {
	return async (event: RequestEvent) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const result = await controlJob(
			event.locals.db,
			project.id,
			Number(event.params.jobId),
			action
		);
		if (!result.ok) return fail(409, { message: result.message });
		event.locals.jobs.wake();
		return { done: action };
	};
}

export const actions: Actions = {
	pause: control('pause'),
	resume: control('resume'),
	cancel: control('cancel'),
	compare: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const result = await compareJobOutputs(
			event.locals.db,
			project,
			Number(event.params.jobId),
			user.id,
			new Date()
		);
		if (!result.ok) return fail(result.status, { message: result.message });
		return { compared: result };
	}
};
