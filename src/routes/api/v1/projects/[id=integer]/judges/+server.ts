import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiProjectAdmin } from '$lib/server/guards';
import { createJudge, listJudges } from '$lib/server/judges';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	return json({ judges: await listJudges(event.locals.db, project.id) });
};

/** Defines a judge: a model and a rubric ({{scale}} kept; the default rubric when none is given). */
export const POST: RequestHandler = async (event) => {
	const { user, project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const given = read.body ?? {};
	if (typeof given !== 'object' || Array.isArray(given))
		return invalid('Send the judge as a JSON object.');
	const parsed = OPERATIONS.createJudge.body.safeParse(given);
	if (!parsed.success) return invalid('The judge has a problem.', parsed.error);
	const made = await createJudge(event.locals.db, project.id, parsed.data, user.id);
	if (!made.ok)
		return json(
			{ message: made.message, issues: { [made.field]: [made.message] } },
			{ status: made.status }
		);
	return json({ id: made.judgeId }, { status: 201 });
};
