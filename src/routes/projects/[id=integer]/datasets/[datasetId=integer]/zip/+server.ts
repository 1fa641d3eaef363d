import { error } from '@sveltejs/kit';
import { exportQuerySchema } from '$lib/schemas/dataset';
import { getDataset } from '$lib/server/datasets';
import { splitsZipEntries, zipStream } from '$lib/server/datasets/bundle';
import { requireProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/** Every split of a dataset in one format, with its manifest, as one zip. */
export const GET: RequestHandler = (event) => {
	const { project } = requireProjectAdmin(event, Number(event.params.id));
	const found = getDataset(event.locals.db, project.id, Number(event.params.datasetId));
	if (!found) error(404, 'No such dataset in this project.');
	const query = exportQuerySchema.safeParse(Object.fromEntries(event.url.searchParams));
	if (!query.success) error(400, query.error.issues.map((i) => i.message).join(' '));
	const entries = splitsZipEntries(
		event.locals.db,
		project,
		found,
		query.data.format,
		query.data.reasoning === '1'
	);
	return new Response(zipStream(entries), {
		headers: {
			'content-type': 'application/zip',
			'content-disposition': `attachment; filename="dataset-${found.id}-${query.data.format}.zip"`
		}
	});
};
