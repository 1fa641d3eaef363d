import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { adjudicate } from '$lib/server/adjudication';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiProjectAdmin } from '$lib/server/guards';
import type { RequestHandler } from './$types';

/** Resolves a dispute exactly as the dispute page does: the same rules and messages. */
export const POST: RequestHandler = async (event) => {
	const { user, project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.resolveDispute.body.safeParse(read.body);
	if (!parsed.success) return invalid('The resolution has a problem.', parsed.error);
	const exampleId = Number(event.params.exampleId);
	const result = await adjudicate(
		event.locals.db,
		project.id,
		user.id,
		{ exampleId, ...parsed.data },
		new Date()
	);
	if (!result.ok) {
		return json(
			{
				message: result.message,
				...(result.field ? { issues: { [result.field]: [result.message] } } : {})
			},
			{ status: result.status }
		);
	}
	return json({ exampleId, revisionId: result.revisionId });
};
