import { z } from 'zod';
import { listDisputed } from '$lib/server/adjudication';
import { requireProjectAdmin } from '$lib/server/guards';
import type { PageServerLoad } from './$types';

const PAGE_SIZE = 50;
const afterSchema = z.coerce.number().int().positive().optional().catch(undefined);

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const afterId = afterSchema.parse(event.url.searchParams.get('after') ?? undefined);
	return {
		...(await listDisputed(event.locals.db, project.id, { limit: PAGE_SIZE, afterId })),
		paged: afterId !== undefined
	};
};
