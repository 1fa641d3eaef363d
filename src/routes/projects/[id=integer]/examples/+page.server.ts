import { fail, redirect } from '@sveltejs/kit';
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
import { listJudges } from '$lib/server/judges';
import { startJudgeRun } from '$lib/server/judges/run';
import type { Actions, PageServerLoad } from './$types';

/** The list's filter without its cursors, and a ticked confirmation. */
const requeueSchema = exampleFilterSchema.omit({ before: true, after: true }).extend({
	confirm: z.literal('yes', { error: 'Tick the box to confirm the re-queue.' })
});

/** The list's filter without its cursors, and the judge to run over what it shows. */
const judgeFilterSchema = exampleFilterSchema.omit({ before: true, after: true }).extend({
	judgeId: z.coerce.number('Choose a judge.').int().positive('Choose a judge.')
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
		const parsed = requeueSchema.safeParse(Object.fromEntries(await event.request.formData()));
		if (!parsed.success) {
			return fail(400, { requeueErrors: z.flattenError(parsed.error).fieldErrors });
		}
		const { status, split, source, job, tag, q } = parsed.data;
		const filter = { status, split, source, job, tag, q };
		const requeued = await requeueMatching(event.locals.db, project.id, filter, new Date());
		return { requeued };
	},
	judge: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const parsed = judgeFilterSchema.safeParse(Object.fromEntries(await event.request.formData()));
		if (!parsed.success) {
			return fail(400, { judgeErrors: z.flattenError(parsed.error).fieldErrors });
		}
		const { judgeId, status, split, source, job, tag, q } = parsed.data;
		const filter = { status, split, source, job, tag, q };
		const described = Object.entries(filter)
			.filter(([, value]) => value !== undefined && value !== '')
			.map(([name, value]) => `${name} ${value}`)
			.join(', ');
		const started = await startJudgeRun(
			event.locals.db,
			project,
			judgeId,
			{ kind: 'filter', filter, description: described || 'every example' },
			user.id
		);
		if (!started.ok) return fail(400, { judgeErrors: { judgeId: [started.message] } });
		event.locals.jobs.wake();
		redirect(303, `/projects/${project.id}/jobs/${started.jobId}`);
	}
};
