import { error, json } from '@sveltejs/kit';
import { fineTuneEvents, getFineTune } from '$lib/server/finetune';
import { apiProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/** One fine-tune: its status, the model it made, and the provider's events. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const found = await getFineTune(event.locals.db, project.id, Number(event.params.fineTuneId));
	if (!found) error(404, 'No such fine-tune in this project.');
	return json({
		...found.fineTune,
		hyperparameters: JSON.parse(found.fineTune.hyperparameters),
		datasetName: found.datasetName,
		providerName: found.providerName,
		resultModel: found.resultModel,
		events: await fineTuneEvents(event.locals.db, found.fineTune.id)
	});
};
