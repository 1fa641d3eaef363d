import { fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import {
	exampleFilterSchema,
	exampleGridSchema,
	filterFields,
	type ExampleFilter
} from '$lib/schemas/examples';
import {
	listExampleGrid,
	listProjectTags,
	MATCHING_CAP,
	requeueMatching
} from '$lib/server/examples';
import { requireMember, requireProjectAdmin } from '$lib/server/guards';
import { PROJECT_ARCHIVED } from '$lib/server/projects';
import { listJudges } from '$lib/server/judges';
import { startJudgeRun } from '$lib/server/judges/run';
import type { Actions, PageServerLoad } from './$types';

/** The list's filter without its cursors, and the confirmation's own field. */
const requeueSchema = exampleFilterSchema.omit({ before: true, after: true }).extend({
	confirm: z.literal('yes', { error: 'Confirm the re-queue first.' })
});

/** The list's filter without its cursors, and the judge to run over what it shows. */
const judgeFilterSchema = exampleFilterSchema.omit({ before: true, after: true }).extend({
	judgeId: z.coerce.number('Choose a judge.').int().positive('Choose a judge.')
});

/** The bulk actions the list's menu offers, each confirmed on the page before it runs. */
const BULK_ACTIONS = ['requeue', 'judge'] as const;

/** A filter's fields that a bulk action takes: the list's, without its cursors. */
function bulkFilter(filter: ExampleFilter): ExampleFilter {
	const { status, split, source, job, tag, q, ids } = filter;
	return { status, split, source, job, tag, q, ids };
}

export const load: PageServerLoad = async (event) => {
	const { user, project } = await requireMember(event, Number(event.params.id));
	const params = event.url.searchParams;
	const parsed = exampleFilterSchema.safeParse(filterFields(params));
	const ordered = exampleGridSchema.safeParse(Object.fromEntries(params));
	// A hand-edited bad filter shows everything with a note rather than an error page.
	const filter: ExampleFilter = parsed.success ? bulkFilter(parsed.data) : {};
	const order = ordered.success ? ordered.data : exampleGridSchema.parse({});
	const isAdmin = user.role === 'admin';
	// Blind review: where an output came from (a job, a student run) is for admins only.
	if (!isAdmin) {
		delete filter.source;
		delete filter.job;
	}
	const db = event.locals.db;
	const found = await listExampleGrid(db, project, filter, order, user);
	const pages = Math.ceil(found.total / found.pageSize);
	if (found.items.length === 0 && order.page > pages && pages > 0) {
		// A page past the end (the list shrank, or a hand-edited link) shows the last one.
		const last = new URL(event.url);
		last.searchParams.set('page', String(pages));
		redirect(307, `${last.pathname}${last.search}`);
	}
	// An action is offered only on a filter that could be read: never on everything instead.
	const readable = parsed.success && ordered.success;
	const confirming = readable
		? (BULK_ACTIONS.find((action) => action === params.get('confirm')) ?? null)
		: null;
	return {
		filter,
		order,
		filterInvalid: !parsed.success || !ordered.success,
		page: {
			...found,
			items: found.items.map(({ source, ...item }) => ({
				...item,
				source: isAdmin ? source : null
			}))
		},
		reviewsRequired: project.reviewsRequired,
		ratingScale: project.ratingScale,
		tags: await listProjectTags(db, project.id),
		// The action an admin chose from the menu, confirmed before it runs.
		confirming: isAdmin ? confirming : null,
		matchingCap: MATCHING_CAP,
		// Judges that can run over what the filter shows: admins only, and only with a model.
		judges: isAdmin
			? (await listJudges(db, project.id))
					.filter((j) => j.modelId !== null)
					.map((j) => ({ id: j.id, name: j.name }))
			: []
	};
};

export const actions: Actions = {
	requeue: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const parsed = requeueSchema.safeParse(filterFields(await event.request.formData()));
		if (!parsed.success) {
			return fail(400, { requeueErrors: z.flattenError(parsed.error).fieldErrors });
		}
		const filter = bulkFilter(parsed.data);
		const requeued = await requeueMatching(event.locals.db, project.id, filter, new Date());
		return { requeued };
	},
	judge: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const parsed = judgeFilterSchema.safeParse(filterFields(await event.request.formData()));
		if (!parsed.success) {
			return fail(400, { judgeErrors: z.flattenError(parsed.error).fieldErrors });
		}
		const filter = bulkFilter(parsed.data);
		const { ids, ...rest } = filter;
		const described = [
			...Object.entries(rest)
				.filter(([, value]) => value !== undefined && value !== '')
				.map(([name, value]) => `${name} ${value}`),
			...(ids ? [`${ids.length} chosen`] : [])
		].join(', ');
		if (project.archivedAt) return fail(409, { judgeErrors: { judgeId: [PROJECT_ARCHIVED] } });
		const started = await startJudgeRun(
			event.locals.db,
			project,
			parsed.data.judgeId,
			{ kind: 'filter', filter, description: described || 'every example' },
			user.id
		);
		if (!started.ok) return fail(400, { judgeErrors: { judgeId: [started.message] } });
		event.locals.jobs.wake();
		redirect(303, `/projects/${project.id}/jobs/${started.jobId}`);
	}
};
