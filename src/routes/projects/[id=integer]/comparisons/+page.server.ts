import { fail } from '@sveltejs/kit';
import { z } from 'zod';
import { formText } from '$lib/schemas/forms';
import { requireProjectAdmin } from '$lib/server/guards';
import { comparisonsPage } from '$lib/server/comparisons';
import { setComparisonGold } from '$lib/server/comparisons/queue';
import type { Actions, PageServerLoad } from './$types';

const PAGE = 50;
const goldSchema = z.object({
	comparisonId: z.coerce.number('Which comparison? The form was incomplete.').int().positive(),
	gold: z.enum(['first', 'second', 'tie', 'none'], 'Choose the first, the second, a tie or none.')
});

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const after = Math.max(0, Number(event.url.searchParams.get('after')) || 0);
	const comparisons = await comparisonsPage(event.locals.db, project.id, after, PAGE);
	return {
		comparisons,
		next: comparisons.length === PAGE ? comparisons.at(-1)!.id : null,
		outputKind: project.outputKind
	};
};

export const actions: Actions = {
	gold: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const parsed = goldSchema.safeParse({
			comparisonId: formText(form, 'comparisonId'),
			gold: formText(form, 'gold')
		});
		if (!parsed.success) return fail(400, { message: parsed.error.issues[0].message });
		const { comparisonId, gold } = parsed.data;
		const done = await setComparisonGold(
			event.locals.db,
			project.id,
			comparisonId,
			gold === 'none' ? null : gold,
			new Date()
		);
		if (!done) return fail(404, { message: 'No such comparison in this project.' });
		return { marked: comparisonId };
	}
};
