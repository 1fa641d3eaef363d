import { z } from 'zod';
import { DISPUTE_ORDERS, listDisputed } from '$lib/server/adjudication';
import { requireProjectAdmin } from '$lib/server/guards';
import type { PageServerLoad } from './$types';

const PAGE_SIZE = 50;
const querySchema = z.object({
	order: z.enum(DISPUTE_ORDERS).catch('oldest'),
	page: z.coerce.number().int().positive().catch(1)
});

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const { order, page } = querySchema.parse({
		order: event.url.searchParams.get('order') ?? undefined,
		page: event.url.searchParams.get('page') ?? undefined
	});
	const listed = await listDisputed(event.locals.db, project.id, {
		limit: PAGE_SIZE,
		offset: (page - 1) * PAGE_SIZE,
		order
	});
	return {
		...listed,
		order,
		page,
		pages: Math.max(1, Math.ceil(listed.total / PAGE_SIZE)),
		ratingScale: project.ratingScale,
		now: new Date()
	};
};
