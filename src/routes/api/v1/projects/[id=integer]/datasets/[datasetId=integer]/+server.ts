import { error, json } from '@sveltejs/kit';
import { getDataset } from '$lib/server/datasets';
import { describeDatasetChange } from '$lib/server/datasets/view';
import { apiProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/** One frozen dataset, with what changed since the one before, as its page shows it. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const db = event.locals.db;
	const found = await getDataset(db, project.id, Number(event.params.datasetId));
	if (!found) error(404, 'No such dataset in this project.');
	return json(await describeDatasetChange(db, project, found));
};
