import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid, invalidInParts } from '$lib/server/apiResponses';
import { fineTuneSpecOf, listFineTunes, startFineTune } from '$lib/server/finetune';
import { apiOpenProjectAdmin, apiProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	return json({
		fineTunes: (await listFineTunes(event.locals.db, project.id)).map((row) => ({
			...row.fineTune,
			hyperparameters: JSON.parse(row.fineTune.hyperparameters),
			datasetName: row.datasetName,
			providerName: row.providerName,
			resultModel: row.resultModel
		}))
	});
};

/** Sends a dataset to a provider's fine-tuning; the server follows the job from then on. */
export const POST: RequestHandler = async (event) => {
	const { user, project } = await apiOpenProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.startFineTune.body.safeParse(read.body);
	if (!parsed.success) {
		const problem = 'The fine-tune has a problem.';
		return invalidInParts(parsed.error, problem, [['fineTune', problem]]);
	}
	const started = await startFineTune(
		event.locals.db,
		project,
		parsed.data.datasetId,
		fineTuneSpecOf(parsed.data.fineTune),
		user.id
	);
	if (!started.ok) return invalid(started.message);
	event.locals.fineTunes.wake();
	return json({ id: started.fineTuneId }, { status: 201 });
};
