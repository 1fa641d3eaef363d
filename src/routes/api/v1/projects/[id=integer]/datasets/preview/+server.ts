import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalidInParts } from '$lib/server/apiResponses';
import { previewSelection } from '$lib/server/datasets/view';
import { apiProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/**
 * What the filter would select now, as the export page counts it before freezing. A POST,
 * since the filter is structured; nothing is written.
 */
export const POST: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.previewDataset.body.safeParse(read.body);
	if (!parsed.success) {
		return invalidInParts(parsed.error, 'The preview has a problem.', [
			['filter', 'The filter has a problem.']
		]);
	}
	return json(await previewSelection(event.locals.db, project, parsed.data.filter));
};
