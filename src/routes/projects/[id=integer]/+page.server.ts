import { countBySplit, countByStatus } from '$lib/server/examples';
import { projectProgress } from '$lib/server/gettingStarted';
import { requireMember } from '$lib/server/guards';
import { listRequirements } from '$lib/server/projects';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { user, project } = await requireMember(event, Number(event.params.id));
	const db = event.locals.db;
	return {
		definition: {
			instruction: project.instruction,
			inputKind: project.inputKind,
			outputKind: project.outputKind,
			ratingScale: project.ratingScale,
			threshold: project.threshold,
			reviewsRequired: project.reviewsRequired,
			aggregation: project.aggregation,
			splits: { train: project.splitTrain, val: project.splitVal, test: project.splitTest }
		},
		requirements: await listRequirements(db, project.id),
		statusCounts: await countByStatus(db, project.id),
		splitCounts: await countBySplit(db, project.id),
		progress: user.role === 'admin' ? await projectProgress(db, project.id, user.id) : null
	};
};
