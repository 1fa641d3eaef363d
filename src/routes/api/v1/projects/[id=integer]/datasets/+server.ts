import { error, json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid, invalidInParts } from '$lib/server/apiResponses';
import { freezeDataset, getDataset, listDatasets } from '$lib/server/datasets';
import { describeDataset, describeDatasetChange } from '$lib/server/datasets/view';
import { apiProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/** The frozen datasets, newest first. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const datasets = await listDatasets(event.locals.db, project.id);
	return json({ datasets: datasets.map((found) => describeDataset(project, found)) });
};

/** Freezes what the filter selects now, with the export page's rules and messages. */
export const POST: RequestHandler = async (event) => {
	const { user, project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.freezeDataset.body.safeParse(read.body);
	if (!parsed.success) {
		return invalidInParts(parsed.error, 'The dataset has a problem.', [
			['filter', 'The filter has a problem.']
		]);
	}
	const { name, filter } = parsed.data;
	const db = event.locals.db;
	const frozen = await freezeDataset(db, project, name, filter, user.id);
	if (!frozen.ok) return invalid(frozen.message);
	const found = await getDataset(db, project.id, frozen.datasetId);
	if (!found) error(404, 'No such dataset in this project.');
	return json(await describeDatasetChange(db, project, found), { status: 201 });
};
