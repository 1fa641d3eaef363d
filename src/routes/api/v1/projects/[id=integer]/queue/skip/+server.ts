import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiMember } from '$lib/server/guards';
import { skipExample } from '$lib/server/queue';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = async (event) => {
	const { project, user } = await apiMember(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.skipExample.body.safeParse(read.body);
	if (!parsed.success) return invalid('Which example?', parsed.error);
	const { exampleId } = parsed.data;
	if (!(await skipExample(event.locals.db, project.id, user.id, exampleId, new Date()))) {
		return json({ message: 'That example is not leased to you any more.' }, { status: 409 });
	}
	return json({ skipped: exampleId });
};
