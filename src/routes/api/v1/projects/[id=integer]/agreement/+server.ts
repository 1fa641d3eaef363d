import { error, json } from '@sveltejs/kit';
import type { AgreementView } from '$lib/api/operations/agreement';
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
	const figures = await projectAgreement(db, project.id);
	// Deleted since the guard read it.
	if (!figures) error(404, 'No such project.');
	return json({
		...figures,
		audit: project.queueOrder === 'judged' ? await auditEstimates(db, project) : null,
		labels: await labelReport(db, project),
		comparisons: await comparisonFigures(db, project)
	} satisfies AgreementView);
};
