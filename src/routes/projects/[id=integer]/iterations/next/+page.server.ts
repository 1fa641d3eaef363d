import { fail, redirect } from '@sveltejs/kit';
import {
	datasetFilterFromForm,
	datasetFilterInput,
	datasetFilterSchema,
	datasetNameSchema,
	FINE_TUNE_FIELDS,
	fineTuneFormSchema
} from '$lib/schemas/dataset';
import { EVALUATION_SETTING_DEFAULTS, evaluationFromForm } from '$lib/schemas/iteration';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { countQualifying, latestDataset, previewChange } from '$lib/server/datasets';
import { fineTuneSpecOf } from '$lib/server/finetune';
import { requireProjectAdmin } from '$lib/server/guards';
import { PROJECT_ARCHIVED } from '$lib/server/projects';
import { nextIterationDefaults, startNextIteration } from '$lib/server/iterations';
import { listProviders } from '$lib/server/providers';
import { retirementNotices } from '$lib/server/finetune/retirement';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const db = event.locals.db;
	const input = datasetFilterInput(event.url.searchParams);
	const parsed = datasetFilterSchema.safeParse(input);
	const last = await latestDataset(db, project.id);
	const defaults = await nextIterationDefaults(db, project.id);
	return {
		input,
		errors: parsed.success ? {} : fieldErrors(parsed.error),
		counts: parsed.success ? await countQualifying(db, project, parsed.data) : null,
		change: parsed.success && last ? await previewChange(db, project, parsed.data, last.id) : null,
		last: last ? { id: last.id, name: last.name } : null,
		threshold: project.threshold,
		ratingScale: project.ratingScale,
		providers: (await listProviders(db)).map((p) => ({ id: p.id, name: p.name })),
		retirements: await retirementNotices(db),
		defaults: {
			...defaults,
			evaluation: { ...EVALUATION_SETTING_DEFAULTS, ...defaults.evaluation }
		}
	};
};

export const actions: Actions = {
	start: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const filter = datasetFilterFromForm(form);
		const name = datasetNameSchema.safeParse(formText(form, 'name'));
		const tuneValues = Object.fromEntries(FINE_TUNE_FIELDS.map((f) => [f, formText(form, f)]));
		const tune = fineTuneFormSchema.safeParse(tuneValues);
		const { values, splits, settings, chosen } = evaluationFromForm(form);
		const kept = { name: formText(form, 'name'), tuneValues, values, splits };
		if (!filter.success || !name.success || !tune.success || !settings.success || !chosen.success) {
			return fail(400, {
				...kept,
				message: filter.success ? null : 'The filter has a problem; see the messages beside it.',
				errors: {
					...(name.success ? {} : { name: fieldErrors(name.error).form }),
					...(tune.success ? {} : fieldErrors(tune.error)),
					...(settings.success ? {} : fieldErrors(settings.error)),
					...(chosen.success ? {} : { splits: fieldErrors(chosen.error).form })
				}
			});
		}
		if (project.archivedAt) return fail(409, { ...kept, message: PROJECT_ARCHIVED, errors: {} });
		const started = await startNextIteration(event.locals.db, project, user.id, {
			name: name.data,
			filter: filter.data,
			fineTune: fineTuneSpecOf(tune.data),
			evaluation: { splits: chosen.data, settings: settings.data }
		});
		if (!started.ok) return fail(400, { ...kept, message: started.message, errors: {} });
		event.locals.fineTunes.wake();
		redirect(303, `/projects/${project.id}/iterations`);
	}
};
