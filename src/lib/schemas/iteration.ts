import { z } from 'zod';
import {
	JOB_SETTING_DEFAULTS,
	jobSettingsJsonFields,
	jobSettingsSchema,
	settingsFromJson
} from './job';

export const EVALUATION_SPLITS = ['test', 'val', 'train'] as const;

/** Which inputs of a dataset an evaluation runs over: by default its held-out test split. */
export const evaluationSplitsSchema = z
	.array(z.enum(EVALUATION_SPLITS, 'Choose splits from test, val and train.'))
	.min(1, 'Choose at least one split whose inputs the model answers.');

/**
 * How an evaluation calls its model. One sample per input, so two models' outputs pair up;
 * no reasoning and no few-shot by default, since a fine-tuned student was trained on the bare
 * prompt and every model is best compared on the same one.
 */
export const evaluationSettingsSchema = jobSettingsSchema.omit({
	samplesPerInput: true,
	reasoning: true
});

export const EVALUATION_SETTING_DEFAULTS = {
	temperature: '0',
	maxTokens: JOB_SETTING_DEFAULTS.maxTokens,
	fewShot: '0',
	invalidOutputs: 'repair',
	concurrency: JOB_SETTING_DEFAULTS.concurrency,
	timeoutSeconds: JOB_SETTING_DEFAULTS.timeoutSeconds
} as const;

export const EVALUATION_SETTING_FIELDS = Object.keys(EVALUATION_SETTING_DEFAULTS) as Array<
	keyof typeof EVALUATION_SETTING_DEFAULTS
>;

/** An evaluation's settings as an API body gives them: the job's, less those it fixes. */
export const evaluationSettingsJsonSchema = settingsFromJson(
	jobSettingsJsonFields.omit({ samplesPerInput: true, reasoning: true }),
	EVALUATION_SETTING_DEFAULTS,
	evaluationSettingsSchema
);

/** The iteration page's "Evaluate" form. */
export const evaluationFormSchema = z.object({
	modelIds: z
		.array(z.coerce.number().int().positive(), 'Choose the models to evaluate.')
		.min(1, 'Choose at least one model to evaluate.')
		.max(8, 'Evaluate at most 8 models at once.'),
	datasetId: z.coerce
		.number('Choose the dataset whose inputs to use.')
		.int()
		.positive('Choose the dataset whose inputs to use.'),
	splits: evaluationSplitsSchema
});

/** Which held-out inputs the figures count: those every model answered, or all. */
export const figuresScopeSchema = z
	.enum(['common', 'all'], 'Give the scope as common or all.')
	.default('common');

/** Which two models the side-by-side view compares, and where in their shared inputs it is. */
const modelIdParam = z.coerce
	.number('Give a model id as a number.')
	.int('Give a model id as a whole number.')
	.positive('Give a model id as a positive number.')
	.optional();

export const sideBySideQuerySchema = z.object({
	a: modelIdParam,
	b: modelIdParam,
	page: z.coerce
		.number('Give the page as a number.')
		.int('Give the page as a whole number.')
		.min(1, 'Pages start at 1.')
		.default(1),
	scope: figuresScopeSchema
});

/** The splits and settings of an evaluation, read from a form, with the zod messages by field. */
export function evaluationFromForm(form: FormData) {
	const values = Object.fromEntries(
		EVALUATION_SETTING_FIELDS.map((f) => {
			const value = form.get(f);
			return [f, typeof value === 'string' ? value : ''];
		})
	) as Record<(typeof EVALUATION_SETTING_FIELDS)[number], string>;
	const splits = form.getAll('split').map(String);
	const settings = evaluationSettingsSchema.safeParse(values);
	const chosen = evaluationSplitsSchema.safeParse(splits);
	return { values, splits, settings, chosen };
}
