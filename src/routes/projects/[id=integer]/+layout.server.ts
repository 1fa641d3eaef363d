import { requireMember } from '$lib/server/guards';
import { hasComparisons } from '$lib/server/comparisons';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async (event) => {
	const { project } = await requireMember(event, Number(event.params.id));
	return {
		project: { id: project.id, name: project.name, archived: project.archivedAt !== null },
		hasComparisons: await hasComparisons(event.locals.db, project.id)
	};
};
