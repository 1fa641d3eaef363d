import { fail } from '@sveltejs/kit';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { jobSettingsSchema } from '$lib/schemas/job';
import { PLAYGROUND_DEFAULTS, playgroundSchema } from '$lib/schemas/playground';
import { requireProjectAdmin } from '$lib/server/guards';
import { promptPreview, tryModels } from '$lib/server/playground';
import { modelChoices } from '$lib/server/providers';
import type { Actions, PageServerLoad } from './$types';

const FIELDS = Object.keys(PLAYGROUND_DEFAULTS) as (keyof typeof PLAYGROUND_DEFAULTS)[];

/** The few-shot count and reasoning the form starts with, for the prompt shown before a run. */
const STARTING_SETTINGS = jobSettingsSchema
	.pick({ fewShot: true, reasoning: true })
	.parse(PLAYGROUND_DEFAULTS);

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	return {
		models: await modelChoices(event.locals.db),
		defaults: PLAYGROUND_DEFAULTS,
		inputKind: project.inputKind,
		outputKind: project.outputKind,
		prompt: await promptPreview(event.locals.db, project, STARTING_SETTINGS)
	};
};

export const actions: Actions = {
	run: async (event) => {
		const { project } = await requireProjectAdmin(event, Number(event.params.id));
		const db = event.locals.db;
		const form = await event.request.formData();
		const values = Object.fromEntries(FIELDS.map((f) => [f, formText(form, f)]));
		const chosen = form.getAll('modelId').map(String);
		const parsed = playgroundSchema(project).safeParse({ ...values, modelIds: chosen });
		if (!parsed.success) {
			return fail(400, { values, chosen, errors: fieldErrors(parsed.error) });
		}
		const { modelIds, input, ...settings } = parsed.data;
		const results = await tryModels(db, event.locals.secretKey, project, modelIds, input, settings);
		return { values, chosen, results, prompt: await promptPreview(db, project, settings) };
	}
};
