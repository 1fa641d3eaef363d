import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { datasetFilterJsonSchema, datasetNameSchema, fineTuneFromJson } from '$lib/schemas/dataset';
import {
	EVALUATION_SETTING_DEFAULTS,
	evaluationSettingsSchema,
	evaluationSplitsSchema
} from '$lib/schemas/iteration';
import { apiSettingsSchema } from '$lib/schemas/job';
import { asFormValues } from '$lib/schemas/forms';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { fineTuneSpecOf } from '$lib/server/finetune';
import { apiProjectAdmin } from '$lib/server/guards';
import { listIterations, startNextIteration } from '$lib/server/iterations';
import { evaluationAnswers, iterationFigures } from '$lib/server/iterations/figures';
import { judgedEstimates, pairwiseResults } from '$lib/server/iterations/judged';
import type { RequestHandler } from './$types';

const bodySchema = z.object({
	name: z.preprocess((value) => value ?? '', datasetNameSchema),
	/** The export page's filter, field by field: threshold, tags, sources, from, to, … */
	filter: z
		.record(
			z.string(),
			z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()]),
			{ error: 'Give the filter as an object, as the export page has it.' }
		)
		.default({}),
	fineTune: apiSettingsSchema,
	evaluation: z
		.object({ splits: evaluationSplitsSchema.default(['test']), settings: apiSettingsSchema })
		.default({ splits: ['test'], settings: {} })
});

/** Every iteration, and every evaluated model's figures on the held-out inputs. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const scope = event.url.searchParams.get('scope') === 'all' ? 'all' : 'common';
	const db = event.locals.db;
	const answers = await evaluationAnswers(db, project);
	const figures = await iterationFigures(db, project, answers, scope);
	return json({
		iterations: await listIterations(db, project.id),
		figures,
		judged: await judgedEstimates(db, project, answers, figures),
		pairwise: await pairwiseResults(db, project, answers)
	});
};

/** The next iteration: freeze the dataset, start its fine-tune, evaluate the student after. */
export const POST: RequestHandler = async (event) => {
	const { user, project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = bodySchema.safeParse(read.body);
	if (!parsed.success) return invalid('The iteration has a problem.', parsed.error);
	const filter = datasetFilterJsonSchema.safeParse(parsed.data.filter);
	if (!filter.success) return invalid('The filter has a problem.', filter.error);
	const tune = fineTuneFromJson(parsed.data.fineTune);
	if (!tune.success) return invalid('The fine-tune has a problem.', tune.error);
	const settings = evaluationSettingsSchema.safeParse({
		...EVALUATION_SETTING_DEFAULTS,
		...asFormValues(parsed.data.evaluation.settings)
	});
	if (!settings.success) return invalid('The evaluation settings have a problem.', settings.error);
	const started = await startNextIteration(event.locals.db, project, user.id, {
		name: parsed.data.name,
		filter: filter.data,
		fineTune: fineTuneSpecOf(tune.data),
		evaluation: { splits: parsed.data.evaluation.splits, settings: settings.data }
	});
	if (!started.ok) return invalid(started.message);
	event.locals.fineTunes.wake();
	const { iterationId, number, datasetId, fineTuneId } = started;
	return json({ iterationId, number, datasetId, fineTuneId }, { status: 201 });
};
