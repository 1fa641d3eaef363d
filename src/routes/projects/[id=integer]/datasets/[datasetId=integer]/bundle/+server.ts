import { error } from '@sveltejs/kit';
import { getDataset } from '$lib/server/datasets';
import { bundleEntries, zipStream } from '$lib/server/datasets/bundle';
import { requireProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/** The bundle for fine-tuning on one's own GPUs: data, an Axolotl config, an Unsloth file. */
export const GET: RequestHandler = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const found = await getDataset(event.locals.db, project.id, Number(event.params.datasetId));
	if (!found) error(404, 'No such dataset in this project.');
	if (found.trainCount === 0) error(404, 'This dataset has no training examples to bundle.');
	return new Response(zipStream(bundleEntries(event.locals.db, project, found)), {
		headers: {
			'content-type': 'application/zip',
			'content-disposition': `attachment; filename="dataset-${found.id}-own-gpus.zip"`
		}
	});
};
