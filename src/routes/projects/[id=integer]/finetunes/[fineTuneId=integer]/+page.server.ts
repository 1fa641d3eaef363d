import { error, fail } from '@sveltejs/kit';
import { requireProjectAdmin } from '$lib/server/guards';
import { cancelFineTune, fineTuneEvents, getFineTune } from '$lib/server/finetune';
import { retirementWarning } from '$lib/server/finetune/retirement';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	event.depends('finetune:status');
	const found = await getFineTune(event.locals.db, project.id, Number(event.params.fineTuneId));
	if (!found) error(404, 'No such fine-tune in this project.');
	return {
		fineTune: found,
		events: await fineTuneEvents(event.locals.db, found.fineTune.id),
		retirement: await retirementWarning(event.locals.db, found.fineTune.baseModel)
	};
};

export const actions: Actions = {
	cancel: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const result = await cancelFineTune(
			event.locals.db,
			event.locals.secretKey,
			project.id,
			Number(event.params.fineTuneId)
		);
		if (!result.ok) return fail(409, { message: result.message });
		return { message: 'Cancelled.' };
	}
};
