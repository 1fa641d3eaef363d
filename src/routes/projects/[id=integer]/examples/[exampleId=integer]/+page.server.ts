import { error, fail } from '@sveltejs/kit';
import { goldSchema } from '$lib/schemas/examples';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { getExampleDetail, leaseHolders } from '$lib/server/examples';
import { requireMember, requireProjectAdmin } from '$lib/server/guards';
import { exampleJudgments } from '$lib/server/judges';
import { markGold, unmarkGold } from '$lib/server/gold';
import { releaseLeases } from '$lib/server/queue';
import { requeueExamples } from '$lib/server/reviews';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { user, project } = await requireMember(event, Number(event.params.id));
	const db = event.locals.db;
	const exampleId = Number(event.params.exampleId);
	const detail = await getExampleDetail(db, project.id, exampleId, user);
	if (!detail) error(404, 'No such example in this project.');
	return {
		detail,
		outputKind: project.outputKind,
		inputKind: project.inputKind,
		ratingScale: project.ratingScale,
		leases: user.role === 'admin' ? await leaseHolders(db, exampleId, new Date()) : [],
		// Admins only: an annotator must not see a judge's rating before rating.
		judgments: user.role === 'admin' ? await exampleJudgments(db, project, exampleId) : null
	};
};

export const actions: Actions = {
	release: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const freed = await releaseLeases(event.locals.db, project.id, Number(event.params.exampleId));
		return {
			message:
				freed === 0
					? 'Nobody held this example, so there was nothing to release.'
					: `Released ${freed === 1 ? 'one lease' : `${freed} leases`}: others can take the example now.`
		};
	},
	requeue: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const requeued = await requeueExamples(
			event.locals.db,
			project.id,
			[Number(event.params.exampleId)],
			new Date()
		);
		if (requeued === 0) error(404, 'No such example in this project.');
		return { message: 'Sent back to the queue: the same output will be reviewed afresh.' };
	},
	gold: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const parsed = goldSchema.safeParse({ goldRating: formText(form, 'goldRating') });
		if (!parsed.success) return fail(400, { goldErrors: fieldErrors(parsed.error).goldRating });
		const marked = await markGold(
			event.locals.db,
			project.id,
			Number(event.params.exampleId),
			parsed.data.goldRating,
			new Date()
		);
		if (!marked.ok) {
			if (marked.status === 404) error(404, marked.message);
			return fail(marked.status, { goldErrors: [marked.message] });
		}
		return {
			message: 'Marked as gold: it is mixed into annotators’ queues at the project’s gold rate.'
		};
	},
	ungold: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const result = await unmarkGold(
			event.locals.db,
			project.id,
			Number(event.params.exampleId),
			new Date()
		);
		if (!result.ok) {
			if (result.status === 404) error(404, result.message);
			return fail(result.status, { goldErrors: [result.message] });
		}
		return { message: 'No longer gold: its reviews now decide its status, as for any example.' };
	}
};
