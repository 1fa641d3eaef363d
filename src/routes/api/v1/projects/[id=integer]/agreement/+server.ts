import { json } from '@sveltejs/kit';
import { projectAgreement } from '$lib/server/agreement';
import { apiProjectAdmin } from '$lib/server/guards';
import { auditEstimates } from '$lib/server/judges/audit';
import { labelReport } from '$lib/server/labelAgreement';
import { comparisonFigures } from '$lib/server/comparisons/figures';
import type { RequestHandler } from './$types';

/** The agreement page's figures, from the same module. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const db = event.locals.db;
	return json({
		...(await projectAgreement(db, project.id)),
		audit: project.queueOrder === 'judged' ? await auditEstimates(db, project) : null,
		labels: await labelReport(db, project),
		comparisons: await comparisonFigures(db, project)
	});
};
