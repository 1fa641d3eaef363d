import { requireMember } from '$lib/server/guards';
import { myWork, RECENT_REVIEWS } from '$lib/server/myWork';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { user, project } = await requireMember(event, Number(event.params.id));
	return {
		ratingScale: project.ratingScale,
		recentReviews: RECENT_REVIEWS,
		work: await myWork(event.locals.db, project.id, user.id, project.ratingScale)
	};
};
