import { fail, redirect } from '@sveltejs/kit';
import {
	datasetFilterFromForm,
	datasetFilterInput,
	datasetFilterSchema,
	datasetNameSchema,
	filterInWords
} from '$lib/schemas/dataset';
import { fieldErrors, formText } from '$lib/schemas/forms';
import {
	countQualifying,
	countQualifyingLabels,
	freezeDataset,
	listDatasets
} from '$lib/server/datasets';
import { labelSetOf } from '$lib/server/datasets/labels';
import { listProjectTags } from '$lib/server/examples';
import { requireProjectAdmin } from '$lib/server/guards';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const db = event.locals.db;
	const input = datasetFilterInput(event.url.searchParams);
	const parsed = datasetFilterSchema.safeParse(input);
	return {
		input,
		errors: parsed.success ? {} : fieldErrors(parsed.error),
		counts: parsed.success ? await countQualifying(db, project, parsed.data) : null,
		filterWords: parsed.success
			? filterInWords(parsed.data, {
					...project,
					labelCaps: labelSetOf(project)?.multiple === false
				})
			: null,
		labels: parsed.success ? await countQualifyingLabels(db, project, parsed.data) : null,
		/** Whether the largest labels can be capped: a single-choice label set. */
		labelCaps: labelSetOf(project)?.multiple === false,
		threshold: project.threshold,
		ratingScale: project.ratingScale,
		tags: (await listProjectTags(db, project.id)).map((t) => t.tag),
		datasets: await listDatasets(db, project.id)
	};
};

export const actions: Actions = {
	freeze: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const filter = datasetFilterFromForm(form);
		const name = datasetNameSchema.safeParse(formText(form, 'name'));
		if (!filter.success || !name.success) {
			return fail(400, {
				name: formText(form, 'name'),
				nameErrors: name.success ? undefined : fieldErrors(name.error).form,
				message: filter.success ? null : 'The filter has a problem; see the messages beside it.'
			});
		}
		const frozen = await freezeDataset(event.locals.db, project, name.data, filter.data, user.id);
		if (!frozen.ok)
			return fail(400, { name: name.data, nameErrors: undefined, message: frozen.message });
		redirect(303, `/projects/${project.id}/datasets/${frozen.datasetId}`);
	}
};
