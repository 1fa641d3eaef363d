import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { exampleFilterSchema } from '$lib/schemas/examples';
import {
	countExamplesMatching,
	listExamples,
	listProjectTags,
	MATCHING_CAP,
	requeueMatching
} from '$lib/server/examples';
import { requireMember, requireProjectAdmin } from '$lib/server/guards';
import type { Actions, PageServerLoad } from './$types';

/** The list's filter without its cursors, and a ticked confirmation. */
const requeueSchema = exampleFilterSchema.omit({ before: true, after: true }).extend({
	confirm: z.literal('yes', { error: 'Tick the box to confirm the re-queue.' })
});

export const load: PageServerLoad = async (event) => {
	const { user, project } = await requireMember(event, Number(event.params.id));
	const parsed = exampleFilterSchema.safeParse(Object.fromEntries(event.url.searchParams));
	// A hand-edited bad filter shows everything with a note rather than an error page.
	const filter = parsed.success ? parsed.data : {};
	const isAdmin = user.role === 'admin';
	// Blind review: where an output came from (a job, a student run) is for admins only.
	if (!isAdmin) {
		delete filter.source;
		delete filter.job;
	}
	const db = event.locals.db;
	const found = await listExamples(db, project.id, filter);
	return {
		filter,
		filterInvalid: !parsed.success,
		page: {
			...found,
			items: found.items.map(({ source, ...item }) => ({
				...item,
				source: isAdmin ? source : null
			}))
		},
		tags: await listProjectTags(db, project.id),
		// Only admins can re-queue, so only they pay for the count.
		matching: user.role === 'admin' ? await countExamplesMatching(db, project.id, filter) : null,
		matchingCap: MATCHING_CAP
	};
};

export const actions: Actions = {
	requeue: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const parsed = requeueSchema.safeParse(Object.fromEntries(await event.request.formData()));
		if (!parsed.success) {
			return fail(400, { requeueErrors: z.flattenError(parsed.error).fieldErrors });
		}
		const { status, split, source, job, tag, q } = parsed.data;
		const filter = { status, split, source, job, tag, q };
		const requeued = await requeueMatching(event.locals.db, project.id, filter, new Date());
		return { requeued };
	}
};
