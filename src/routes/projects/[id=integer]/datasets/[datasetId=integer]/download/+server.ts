import { error } from '@sveltejs/kit';
import { z } from 'zod';
import { exportQuerySchema } from '$lib/schemas/dataset';
import { getDataset } from '$lib/server/datasets';
import {
	emptyFileReason,
	exportFiles,
	exportFilename,
	exportStream
} from '$lib/server/datasets/export';
import { requireProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

const querySchema = exportQuerySchema.extend({
	split: z.enum(['train', 'val', 'test'], 'Choose a split: train, val or test.')
});

/** One split of a dataset in one format, streamed a page of rows at a time. */
export const GET: RequestHandler = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const found = await getDataset(event.locals.db, project.id, Number(event.params.datasetId));
	if (!found) error(404, 'No such dataset in this project.');
	const query = querySchema.safeParse(Object.fromEntries(event.url.searchParams));
	if (!query.success) error(400, query.error.issues.map((i) => i.message).join(' '));
	const options = { ...query.data, reasoning: query.data.reasoning === '1' };
	const empty = emptyFileReason(await exportFiles(event.locals.db, found), options);
	if (empty) error(404, empty);
	const body = await exportStream(event.locals.db, project, found.id, options);
	return new Response(body, {
		headers: {
			'content-type':
				options.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/jsonl; charset=utf-8',
			'content-disposition': `attachment; filename="${exportFilename(found.name, options)}"`,
			'x-content-hash': found.contentHash
		}
	});
};
