import { fail } from '@sveltejs/kit';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { formText } from '$lib/schemas/forms';
import { comparisonFormSchema } from '$lib/schemas/review';
import { requireMember } from '$lib/server/guards';
import {
	claimComparison,
	comparisonProgress,
	judgeComparison,
	skipComparison,
	undoComparison
} from '$lib/server/comparisons/queue';
import type { Actions, PageServerLoad } from './$types';

const idSchema = z.coerce.number().int().positive();

export const load: PageServerLoad = async (event) => {
	const { project, user } = await requireMember(event, Number(event.params.id));
	const db = event.locals.db;
	const now = new Date();
	const claimed = await claimComparison(db, project.id, user.id, now);
	return {
		current: claimed && { ...claimed, submissionKey: randomUUID() },
		progress: await comparisonProgress(db, project.id, user.id, now),
		inputKind: project.inputKind,
		outputKind: project.outputKind
	};
};

export const actions: Actions = {
	judge: async (event) => {
		const { project, user } = await requireMember(event, Number(event.params.id));
		const parsed = comparisonFormSchema.safeParse(
			Object.fromEntries(await event.request.formData())
		);
		if (!parsed.success) {
			return fail(400, {
				message: parsed.error.issues[0]?.message ?? 'The judgment is incomplete.'
			});
		}
		const result = await judgeComparison(
			event.locals.db,
			project.id,
			user.id,
			parsed.data,
			new Date()
		);
		if (!result.ok) return fail(result.status, { message: result.message });
		return {
			judged: {
				judgmentId: result.judgmentId,
				comparisonId: parsed.data.comparisonId,
				repaired: result.repairRevisionId !== null
			}
		};
	},
	skip: async (event) => {
		const { project, user } = await requireMember(event, Number(event.params.id));
		const id = idSchema.safeParse(formText(await event.request.formData(), 'comparisonId'));
		if (!id.success) return fail(400, { message: 'Which comparison? The form was incomplete.' });
		const skipped = await skipComparison(event.locals.db, project.id, user.id, id.data, new Date());
		if (!skipped) return fail(409, { message: 'That comparison is not leased to you any more.' });
		return { skipped: id.data };
	},
	undo: async (event) => {
		const { project, user } = await requireMember(event, Number(event.params.id));
		const id = idSchema.safeParse(formText(await event.request.formData(), 'judgmentId'));
		if (!id.success) return fail(400, { message: 'Which judgment? The form was incomplete.' });
		const result = await undoComparison(event.locals.db, project.id, user.id, id.data, new Date());
		if (!result.ok) return fail(result.status, { message: result.message });
		return { undone: result.comparisonId };
	}
};
