import { error, fail } from '@sveltejs/kit';
import { requireProjectAdmin } from '$lib/server/guards';
import {
	cancelFineTune,
	fineTuneEvents,
	getFineTune,
	registerServedResult
} from '$lib/server/finetune';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { servedModelSchema } from '$lib/schemas/dataset';
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
	},
	registerServed: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const served = { baseUrl: formText(form, 'baseUrl'), modelName: formText(form, 'modelName') };
		const parsed = servedModelSchema
			.pick({ baseUrl: true, apiKey: true, modelName: true })
			.safeParse({ ...served, apiKey: formText(form, 'apiKey') });
		if (!parsed.success) return fail(400, { served, servedErrors: fieldErrors(parsed.error) });
		const { db, secretKey } = event.locals;
		const registered = await registerServedResult(
			db,
			secretKey,
			project,
			Number(event.params.fineTuneId),
			parsed.data
		);
		if (!registered.ok) return fail(409, { message: registered.message });
		if (registered.evaluationJobId !== null) event.locals.jobs.wake();
		return {
			message:
				registered.evaluationJobId !== null
					? 'Registered; its evaluation run is queued.'
					: 'Registered: it is offered wherever a model is chosen.'
		};
	}
};
