import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { formText } from '$lib/schemas/forms';
import { requirementRatingsFrom, reviewFormSchema } from '$lib/schemas/review';
import { requireMember } from '$lib/server/guards';
import { skipExample } from '$lib/server/queue';
import { claimForScreen, reviewSetup } from '$lib/server/reviewScreen';
import { submitReview, undoReview } from '$lib/server/reviews';
import type { Actions, PageServerLoad } from './$types';

const idSchema = z.coerce.number().int().positive();

export const load: PageServerLoad = async (event) => {
	const { project, user } = await requireMember(event, Number(event.params.id));
	const now = new Date();
	// The setup's reads decide nothing the claim writes; on PostgreSQL they run meanwhile.
	const [current, setup] = await Promise.all([
		claimForScreen(event.locals.db, project.id, user.id, now),
		reviewSetup(event.locals.db, project, user.id, now)
	]);
	return { current, archived: project.archivedAt !== null, ...setup };
};

export const actions: Actions = {
	submit: async (event) => {
		const { project, user } = await requireMember(event, Number(event.params.id));
		const form = await event.request.formData();
		const parsed = reviewFormSchema.safeParse(Object.fromEntries(form));
		if (!parsed.success) {
			return fail(400, { message: parsed.error.issues[0]?.message ?? 'The review is incomplete.' });
		}
		const result = await submitReview(
			event.locals.db,
			project,
			user.id,
			{ ...parsed.data, requirementRatings: requirementRatingsFrom(form) },
			new Date()
		);
		if (!result.ok) {
			return fail(result.status, {
				message: result.message,
				field: result.field,
				output: parsed.data.output
			});
		}
		return {
			saved: { reviewId: result.reviewId, exampleId: parsed.data.exampleId, status: result.status }
		};
	},
	skip: async (event) => {
		const { project, user } = await requireMember(event, Number(event.params.id));
		const exampleId = idSchema.safeParse(formText(await event.request.formData(), 'exampleId'));
		if (!exampleId.success)
			return fail(400, { message: 'Which example? The form was incomplete.' });
		const skipped = await skipExample(
			event.locals.db,
			project.id,
			user.id,
			exampleId.data,
			new Date()
		);
		if (!skipped) return fail(409, { message: 'That example is not leased to you any more.' });
		return { skipped: exampleId.data };
	},
	undo: async (event) => {
		const { project, user } = await requireMember(event, Number(event.params.id));
		const reviewId = idSchema.safeParse(formText(await event.request.formData(), 'reviewId'));
		if (!reviewId.success) return fail(400, { message: 'Which review? The form was incomplete.' });
		const result = await undoReview(
			event.locals.db,
			project.id,
			user.id,
			reviewId.data,
			new Date()
		);
		if (!result.ok) return fail(result.status, { message: result.message });
		return { undone: result.exampleId };
	}
};
