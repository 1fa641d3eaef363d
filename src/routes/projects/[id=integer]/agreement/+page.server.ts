import { comparisonFigures } from '$lib/server/comparisons/figures';
import { error } from '@sveltejs/kit';
import { requireProjectAdmin } from '$lib/server/guards';
import { projectAgreement } from '$lib/server/agreement';
import { listJudges } from '$lib/server/judges';
import { judgeAgreement, judgesSideBySide } from '$lib/server/judges/agreement';
import { auditEstimates } from '$lib/server/judges/audit';
import { labelReport } from '$lib/server/labelAgreement';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const agreement = await projectAgreement(event.locals.db, project.id);
	if (!agreement) error(404, 'No such project.');
	// Each judge measured the way the annotators are, on the outputs both rated.
	const judges = await Promise.all(
		(await listJudges(event.locals.db, project.id)).map(async (j) => ({
			id: j.id,
			name: j.name,
			measured: await judgeAgreement(event.locals.db, project, j.id)
		}))
	);
	const sideBySide = await judgesSideBySide(event.locals.db, project, judges);
	// The audit sample's estimates, once the queue is judge-guided.
	const audit =
		project.queueOrder === 'judged' ? await auditEstimates(event.locals.db, project) : null;
	return {
		agreement,
		judges,
		sideBySide,
		audit,
		labels: await labelReport(event.locals.db, project),
		comparisons: await comparisonFigures(event.locals.db, project)
	};
};
