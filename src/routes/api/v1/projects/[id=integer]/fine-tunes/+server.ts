import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { fineTuneFromJson } from '$lib/schemas/dataset';
import { apiSettingsSchema } from '$lib/schemas/job';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { fineTuneSpecOf, listFineTunes, startFineTune } from '$lib/server/finetune';
import { apiProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

const bodySchema = z.object({
	datasetId: z.number('Give the datasetId to fine-tune on.').int().positive(),
	fineTune: apiSettingsSchema
});

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
	const { user, project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = bodySchema.safeParse(read.body);
	if (!parsed.success) return invalid('The fine-tune has a problem.', parsed.error);
	const tune = fineTuneFromJson(parsed.data.fineTune);
	if (!tune.success) return invalid('The fine-tune has a problem.', tune.error);
	const started = await startFineTune(
		event.locals.db,
		project,
		parsed.data.datasetId,
		fineTuneSpecOf(tune.data),
		user.id
	);
	if (!started.ok) return invalid(started.message);
	event.locals.fineTunes.wake();
	return json({ id: started.fineTuneId }, { status: 201 });
};
