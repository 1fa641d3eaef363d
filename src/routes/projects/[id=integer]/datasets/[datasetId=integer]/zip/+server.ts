import { error } from '@sveltejs/kit';
import { exportQuerySchema } from '$lib/schemas/dataset';
import { getDataset } from '$lib/server/datasets';
import { splitsZip, zipStream } from '$lib/server/datasets/bundle';
import { requireProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/** Every split of a dataset in one format, with its manifest, as one zip. */
export const GET: RequestHandler = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const found = await getDataset(event.locals.db, project.id, Number(event.params.datasetId));
	if (!found) error(404, 'No such dataset in this project.');
	const query = exportQuerySchema.safeParse(Object.fromEntries(event.url.searchParams));
	if (!query.success) error(400, query.error.issues.map((i) => i.message).join(' '));
	const { format } = query.data;
	const reasoning = query.data.reasoning === '1';
	const zip = await splitsZip(event.locals.db, project, found, format, reasoning);
	if (!zip.ok) error(404, zip.message);
	const name = `dataset-${found.id}-${format}${reasoning ? '-reasoning' : ''}.zip`;
	return new Response(zipStream(zip.entries), {
		headers: {
			'content-type': 'application/zip',
			'content-disposition': `attachment; filename="${name}"`
		}
	});
};
