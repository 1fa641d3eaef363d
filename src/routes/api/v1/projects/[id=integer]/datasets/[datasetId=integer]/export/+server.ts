import { error } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { invalid } from '$lib/server/apiResponses';
import { getDataset } from '$lib/server/datasets';
import {
	emptyFileReason,
	exportFiles,
	exportFilename,
	exportStream
} from '$lib/server/datasets/export';
import { apiProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/** One split of a frozen dataset in one format, streamed. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const found = await getDataset(event.locals.db, project.id, Number(event.params.datasetId));
	if (!found) error(404, 'No such dataset in this project.');
	const query = OPERATIONS.exportDataset.query.safeParse(
		Object.fromEntries(event.url.searchParams)
	);
	if (!query.success) return invalid('The query has a problem.', query.error);
	const options = { ...query.data, reasoning: query.data.reasoning === '1' };
	const empty = emptyFileReason(await exportFiles(event.locals.db, found), options);
	if (empty) error(404, empty);
	const body = await exportStream(event.locals.db, project, found.id, options);
	return new Response(body, {
		headers: {
			'content-type': query.data.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/jsonl',
			'content-disposition': `attachment; filename="${exportFilename(found.name, options)}"`,
			'x-content-hash': found.contentHash
		}
	});
};
