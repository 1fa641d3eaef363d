import { exampleFilterSchema } from '$lib/schemas/examples';
import { listExamples, listProjectTags } from '$lib/server/examples';
import { requireMember } from '$lib/server/guards';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	const { project } = requireMember(event, Number(event.params.id));
	const parsed = exampleFilterSchema.safeParse(Object.fromEntries(event.url.searchParams));
	// A hand-edited bad filter shows everything with a note rather than an error page.
	const filter = parsed.success ? parsed.data : {};
	return {
		filter,
		filterInvalid: !parsed.success,
		page: listExamples(event.locals.db, project.id, filter),
		tags: listProjectTags(event.locals.db, project.id)
	};
};
