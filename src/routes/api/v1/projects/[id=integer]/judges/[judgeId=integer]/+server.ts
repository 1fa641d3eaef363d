import { error, json } from '@sveltejs/kit';
import { apiProjectAdmin } from '$lib/server/guards';
import { getJudge } from '$lib/server/judges';
import { judgeAgreement } from '$lib/server/judges/agreement';
import { judgeRuns } from '$lib/server/judges/run';
import type { RequestHandler } from './$types';

/** One judge, its runs and how far it agrees with people. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const db = event.locals.db;
	const found = await getJudge(db, project.id, Number(event.params.judgeId));
	if (!found) error(404, 'No such judge in this project.');
	return json({
		judge: found,
		runs: (await judgeRuns(db, project.id, found.id)).map(({ config, ...run }) => ({
			...run,
			judged: (JSON.parse(config) as { source?: { description?: string } }).source?.description
		})),
		agreement: await judgeAgreement(db, project, found.id)
	});
};
