import { z } from 'zod';
import { ratingLabel, SCALES, type RatingScale } from '../ratings';
import { SOURCE_LABELS } from './examples';
import {
	asFormValues,
	formFromJson,
	jsonCheckbox,
	jsonChoice,
	jsonNumber,
	jsonText
} from './forms';

const blank = (value: unknown) => (value === '' || value === null ? undefined : value);
const day = z.preprocess(
	blank,
	z
		.string()
		.regex(/^\d{4}-\d{2}-\d{2}$/, 'Give a date as YYYY-MM-DD.')
		.refine((text) => !Number.isNaN(Date.parse(text)), 'That is not a date.')
		.optional()
);

/** Which accepted examples a dataset takes, read from the export page's query string. */
export const datasetFilterSchema = z
	.object({
		threshold: z.preprocess(blank, z.coerce.number('Give the threshold as a number.').optional()),
		tags: z
			.string()
			.trim()
			.max(500, 'Keep the tags under 500 characters.')
			.default('')
			.transform((text) =>
				text
					.split(',')
					.map((t) => t.trim())
					.filter(Boolean)
			),
		sources: z
			.array(
				z.enum(['import', 'distillation', 'evaluation', 'student_repair', 'documents'], {
					error: 'Choose sources from the list.'
				})
			)
			.default([]),
		from: day,
		to: day,
		minReviews: z.preprocess(
			blank,
			z.coerce
				.number('Give the minimum reviews as a number.')
				.int('Give a whole number of reviews.')
				.min(0, 'The minimum cannot be negative.')
				.optional()
		),
		repairedOnly: z
			.enum(['on', ''])
			.default('')
			.transform((v) => v === 'on'),
		includeInvalid: z
			.enum(['on', ''])
			.default('')
			.transform((v) => v === 'on'),
		labelCap: z.preprocess(
			blank,
			z.coerce
				.number('Give the most examples per label as a number.')
				.int('Give a whole number of examples.')
				.min(1, 'Take at least one example of each label.')
				.optional()
		)
	})
	.refine((f) => !f.from || !f.to || f.from <= f.to, {
		message: 'The first day comes before the last.',
		path: ['to']
	});

export type DatasetFilter = z.infer<typeof datasetFilterSchema>;

const orList = (items: string[]) =>
	items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;

/**
 * The filter said as a sentence, as the export and dataset pages show it: what an example
 * must be to be taken. A dataset frozen before a field existed reads as without it.
 */
export function filterInWords(
	filter: Partial<DatasetFilter>,
	/** `labelCaps`: the project's labels are single-choice, where a cap applies. */
	rules: { ratingScale: RatingScale; threshold: number; labelCaps?: boolean }
): string {
	const threshold = filter.threshold ?? rules.threshold;
	const top = Math.max(...SCALES[rules.ratingScale].map((v) => v.value));
	const rated =
		rules.ratingScale === 'five_star'
			? `${threshold} star${threshold === 1 ? '' : 's'} or more`
			: threshold >= top
				? ratingLabel(rules.ratingScale, threshold)
				: `${ratingLabel(rules.ratingScale, threshold)} or better`;
	const parts = [
		`Accepted examples rated ${rated}${filter.threshold === undefined ? ' (the project’s threshold)' : ''}`,
		filter.sources?.length
			? `from ${orList(filter.sources.map((s) => SOURCE_LABELS[s].toLowerCase()))}`
			: 'from any source but evaluation runs'
	];
	if (filter.tags?.length) parts.push(`tagged ${orList(filter.tags)}`);
	if (filter.from && filter.to) parts.push(`added from ${filter.from} to ${filter.to}`);
	else if (filter.from) parts.push(`added on or after ${filter.from}`);
	else if (filter.to) parts.push(`added on or before ${filter.to}`);
	if (filter.minReviews !== undefined) {
		parts.push(`with at least ${filter.minReviews} review${filter.minReviews === 1 ? '' : 's'}`);
	}
	if (filter.repairedOnly) parts.push('repaired by a person');
	if (filter.includeInvalid) parts.push('including outputs that do not fit the schema');
	const cap =
		filter.labelCap === undefined || !rules.labelCaps
			? ''
			: `; at most ${filter.labelCap} of each label in each split`;
	return `${parts.join(', ')}${cap}. An exact repeat of an input and output is taken once.`;
}

/** The filter as the form sends it, from a URL's query. */
export function datasetFilterInput(params: URLSearchParams) {
	return {
		threshold: params.get('threshold') ?? '',
		tags: params.get('tags') ?? '',
		sources: params.getAll('source'),
		from: params.get('from') ?? '',
		to: params.get('to') ?? '',
		minReviews: params.get('minReviews') ?? '',
		repairedOnly: params.get('repairedOnly') ?? '',
		includeInvalid: params.get('includeInvalid') ?? '',
		labelCap: params.get('labelCap') ?? ''
	};
}

/**
 * The filter as a JSON body gives it, field by field: read as the export page's query would
 * carry it (tags as a list or with commas, true for a ticked box, null for a blank field),
 * then checked by the page's own schema with its rules and messages.
 */
export const datasetFilterJsonSchema = z
	.object(
		{
			threshold: jsonNumber('The lowest final rating taken; the project’s threshold when blank'),
			tags: z
				.union([z.array(z.string()), z.string(), z.null()], 'Give the tags as a list of texts.')
				.optional()
				.describe('Taken when tagged with any of these (a list, or one text with commas)'),
			sources: datasetFilterSchema.shape.sources.describe(
				'Taken from these sources only; from any but evaluation runs when empty'
			),
			from: jsonText('Added on or after this day, YYYY-MM-DD', 'Give the day as text, YYYY-MM-DD.'),
			to: jsonText('Added on or before this day, YYYY-MM-DD', 'Give the day as text, YYYY-MM-DD.'),
			minReviews: jsonNumber('With at least this many reviews'),
			repairedOnly: jsonCheckbox('Only outputs a person repaired'),
			includeInvalid: jsonCheckbox('Also outputs that do not fit the output schema'),
			labelCap: jsonNumber(
				'A single-choice label project: at most this many examples of each label per split'
			)
		},
		'Give the filter as an object, as the export page has it.'
	)
	.prefault({})
	.transform(({ tags, sources, ...fields }): unknown => ({
		...datasetFilterInput(new URLSearchParams()),
		...asFormValues(fields),
		tags: Array.isArray(tags) ? tags.join(',') : (tags ?? ''),
		sources
	}))
	.pipe(datasetFilterSchema);

/** The filter's fields as hidden inputs carry them into a form that acts on it. */
export function carriedFilterFields(
	input: ReturnType<typeof datasetFilterInput>
): [string, string][] {
	return Object.entries(input).flatMap(([key, value]) =>
		(Array.isArray(value)
			? value.map((v): [string, string] => [key === 'sources' ? 'source' : key, v])
			: [[key, value] as [string, string]]
		).filter(([, v]) => v !== '')
	);
}

/** The filter a form carried back in its hidden inputs. */
export function datasetFilterFromForm(form: FormData) {
	const params = new URLSearchParams();
	for (const [key, value] of form) if (typeof value === 'string') params.append(key, value);
	return datasetFilterSchema.safeParse(datasetFilterInput(params));
}

const NAME_IT = 'Name the dataset, such as “support v3”.';
export const datasetNameSchema = z
	.string(NAME_IT)
	.trim()
	.min(1, NAME_IT)
	.max(120, 'Keep the name under 120 characters.');

export const EXPORT_FORMATS = {
	openai: 'OpenAI chat fine-tuning (JSONL)',
	openai_dpo: 'Preference pairs, DPO: OpenAI, Together, Fireworks (JSONL)',
	trl_preference: 'TRL preference pairs (JSONL)',
	trl_kto: 'TRL unpaired, KTO (JSONL)',
	hf_messages: 'Hugging Face chat messages (JSONL)',
	alpaca: 'Alpaca (JSONL)',
	sharegpt: 'ShareGPT (JSONL)',
	csv: 'CSV'
} as const;
export type ExportFormat = keyof typeof EXPORT_FORMATS;

/** The longest example OpenAI trains on; longer ones are cut. */
export const TOKEN_LIMIT = 65_536;

export type FormatProblems = Record<
	| 'data_type'
	| 'missing_messages_list'
	| 'message_missing_key'
	| 'message_unrecognized_key'
	| 'unrecognized_role'
	| 'missing_content'
	| 'example_missing_assistant_message'
	| 'tool_undefined'
	| 'tool_arguments_invalid'
	| 'tool_call_unanswered',
	number
>;

export const PROBLEM_LABELS: Record<keyof FormatProblems, string> = {
	data_type: 'a line that is not a JSON object',
	missing_messages_list: 'no "messages" list',
	message_missing_key: 'a message without "role" or "content"',
	message_unrecognized_key: 'a message with a key OpenAI does not know',
	unrecognized_role: 'a role other than system, user, assistant, function or tool',
	missing_content: 'a message with empty content',
	example_missing_assistant_message: 'no assistant message',
	tool_undefined: 'a tool call to a tool the line does not define',
	tool_arguments_invalid: 'tool call arguments that are not JSON or fail the tool’s schema',
	tool_call_unanswered: 'a tool call that no tool message answers'
};

const optionalNumber = (what: string, min: number, max: number, whole: boolean) =>
	z
		.string()
		.trim()
		.transform((text, ctx) => {
			if (text === '') return null;
			const value = Number(text);
			if (
				!Number.isFinite(value) ||
				value < min ||
				value > max ||
				(whole && !Number.isInteger(value))
			) {
				ctx.addIssue({
					code: 'custom',
					message: `Give ${what} from ${min} to ${max}${whole ? ' (a whole number)' : ''}, or leave it empty for the provider's choice.`
				});
				return z.NEVER;
			}
			return value;
		});

/** A base model retired or retiring soon, as the pages that choose base models warn of it. */
export type RetirementNotice = {
	model: string;
	day: string;
	source: string;
	state: 'retired' | 'soon';
};

/** The fine-tuning services a fine-tune can be sent to, by the adapter that speaks to each. */
export const FINE_TUNE_SERVICES = ['openai', 'together', 'fireworks', 'hf_jobs'] as const;

/** The hardware a Hugging Face Job can rent for training, as Hugging Face names it. */
export const HF_FLAVORS = [
	't4-small',
	't4-medium',
	'l4x1',
	'a10g-small',
	'a10g-large',
	'l40sx1',
	'a100-large',
	'h200'
] as const;

/** Which of the optional settings each service takes; the others are refused beside the field. */
const SERVICE_SETTINGS: Record<(typeof FINE_TUNE_SERVICES)[number], Set<string>> = {
	openai: new Set(['epochs', 'batchSize', 'learningRateMultiplier']),
	together: new Set(['epochs', 'batchSize', 'learningRate', 'loraRank', 'fromCheckpoint']),
	fireworks: new Set(['epochs', 'batchSize', 'learningRate', 'loraRank', 'maxContextLength']),
	hf_jobs: new Set([
		'epochs',
		'batchSize',
		'learningRate',
		'loraRank',
		'maxContextLength',
		'flavor',
		'timeoutHours'
	])
};
const SERVICE_NAMES = {
	openai: 'OpenAI',
	together: 'Together',
	fireworks: 'Fireworks',
	hf_jobs: 'Hugging Face Jobs'
} as const;
const SETTING_NAMES: Record<string, string> = {
	learningRateMultiplier: 'a learning rate multiplier',
	learningRate: 'a learning rate',
	loraRank: 'a LoRA rank',
	maxContextLength: 'a context length',
	flavor: 'a hardware flavour',
	timeoutHours: 'a time limit',
	fromCheckpoint: 'a checkpoint to continue from'
};

/** How a fine-tune trains: on accepted outputs, or on preference pairs from repairs (DPO). */
export const FINE_TUNE_METHOD_LABELS = {
	supervised: 'Supervised, on the accepted outputs',
	dpo: 'Preference (DPO): each repair preferred over the output it repaired'
} as const;

const fineTuneFields = z.object({
	adapter: z.enum(FINE_TUNE_SERVICES, 'Choose how to fine-tune.'),
	method: z.enum(['supervised', 'dpo'], 'Choose how to train.').default('supervised'),
	providerId: z.coerce.number('Choose a provider.').int().positive('Choose a provider.'),
	baseModel: z
		.string()
		.trim()
		.min(1, 'Give the base model, such as qwen3-8b.')
		.max(200, 'Keep the base model under 200 characters.'),
	suffix: z
		.string()
		.trim()
		.max(40, 'Keep the suffix under 40 characters.')
		.regex(/^[a-zA-Z0-9_-]*$/, 'Use letters, digits, - and _ only in the suffix.')
		.transform((s) => s || null),
	epochs: optionalNumber('the epochs', 1, 50, true),
	batchSize: optionalNumber('the batch size', 1, 256, true),
	learningRateMultiplier: optionalNumber('the learning rate multiplier', 0.01, 10, false),
	learningRate: optionalNumber('the learning rate', 1e-7, 0.01, false),
	loraRank: optionalNumber('the LoRA rank', 1, 64, true).refine(
		(rank) => rank === null || Number.isInteger(Math.log2(rank)),
		'Give the LoRA rank as a power of two: 4, 8, 16, 32 or 64.'
	),
	maxContextLength: optionalNumber('the context length', 512, 131_072, true),
	beta: optionalNumber('the DPO beta', 0.01, 2, false).default(null),
	flavor: z
		.enum(['', ...HF_FLAVORS], 'Choose one of the hardware flavours listed.')
		.default('')
		.transform((flavor) => flavor || null),
	timeoutHours: optionalNumber('the time limit in hours', 0.5, 48, false).default(null),
	fromCheckpoint: z
		.string()
		.trim()
		.max(200, 'Keep the checkpoint under 200 characters.')
		.regex(
			/^[\w./:-]*$/,
			'Give a Together fine-tune’s job id (ft-…) or output model name, with :step if you want one.'
		)
		.default('')
		.transform((s) => s || null)
});

/** The form that sends a dataset to a provider's fine-tuning. */
export const fineTuneFormSchema = fineTuneFields.superRefine((form, ctx) => {
	if (form.beta !== null && form.method !== 'dpo') {
		ctx.addIssue({
			code: 'custom',
			path: ['beta'],
			message: 'The beta is for preference (DPO) training only: leave it empty.'
		});
	}
	const takes = SERVICE_SETTINGS[form.adapter];
	for (const [field, what] of Object.entries(SETTING_NAMES)) {
		if (form[field as keyof typeof form] !== null && !takes.has(field)) {
			ctx.addIssue({
				code: 'custom',
				path: [field],
				message: `${SERVICE_NAMES[form.adapter]} fine-tuning takes no ${what.replace(/^an? /, '')}: leave it empty.`
			});
		}
	}
});

const whichTake = (setting: string) =>
	FINE_TUNE_SERVICES.filter((service) => SERVICE_SETTINGS[service].has(setting)).join(', ');
const serviceSetting = (what: string, setting: string) =>
	`${what}; taken by ${whichTake(setting)} only. Empty or null: the provider’s choice`;

/**
 * The fine-tune as an API body gives it (a fine-tune, or an iteration's), each field of the
 * kind its form field takes, read by the form's own schema (formFromJson) so its defaults, rules
 * and messages hold. Each service takes only some of the settings; any other it is given is
 * refused beside the field.
 */
export const fineTuneJsonSchema = formFromJson(
	z.object(
		{
			adapter: jsonChoice(
				fineTuneFields.shape.adapter.options,
				`The service that trains: ${FINE_TUNE_SERVICES.join(', ')}`
			),
			method: jsonChoice(
				fineTuneFields.shape.method.unwrap().options,
				'supervised (the default) or dpo, on preference pairs from repairs'
			),
			providerId: jsonNumber('The provider whose key and address the service is reached with'),
			baseModel: jsonText('The model to fine-tune, as the service names it'),
			suffix: jsonText('Letters, digits, - and _, at most 40, in the fine-tuned model’s name'),
			epochs: jsonNumber(serviceSetting('A whole number from 1 to 50', 'epochs')),
			batchSize: jsonNumber(serviceSetting('A whole number from 1 to 256', 'batchSize')),
			learningRateMultiplier: jsonNumber(
				serviceSetting('From 0.01 to 10', 'learningRateMultiplier')
			),
			learningRate: jsonNumber(serviceSetting('From 1e-7 to 0.01', 'learningRate')),
			loraRank: jsonNumber(serviceSetting('4, 8, 16, 32 or 64', 'loraRank')),
			maxContextLength: jsonNumber(
				serviceSetting('Tokens, from 512 to 131072', 'maxContextLength')
			),
			beta: jsonNumber('From 0.01 to 2, for dpo only. Empty or null: the provider’s choice'),
			flavor: jsonChoice(
				['', ...HF_FLAVORS],
				serviceSetting(`The hardware rented: ${HF_FLAVORS.join(', ')}`, 'flavor')
			),
			timeoutHours: jsonNumber(
				serviceSetting('The longest the job may run, from 0.5 to 48 hours', 'timeoutHours')
			),
			fromCheckpoint: jsonText(
				serviceSetting(
					'A fine-tune’s job id (ft-…) or output model, with :step if wanted, to continue from',
					'fromCheckpoint'
				)
			)
		},
		'Give settings as an object of names and values.'
	),
	{
		baseModel: '',
		suffix: '',
		epochs: '',
		batchSize: '',
		learningRateMultiplier: '',
		learningRate: '',
		loraRank: '',
		maxContextLength: '',
		beta: '',
		flavor: '',
		timeoutHours: '',
		fromCheckpoint: ''
	},
	fineTuneFormSchema
);

/** The fine-tune form's field names, as its pages read them. */
export const FINE_TUNE_FIELDS = [
	'adapter',
	'method',
	'providerId',
	'baseModel',
	'suffix',
	'epochs',
	'batchSize',
	'learningRateMultiplier',
	'learningRate',
	'loraRank',
	'maxContextLength',
	'beta',
	'flavor',
	'timeoutHours',
	'fromCheckpoint'
] as const;

export const FINE_TUNE_STATUS_LABELS = {
	pending: 'Waiting to upload',
	uploading: 'Uploading files',
	validating: 'Validating files',
	queued: 'Queued',
	running: 'Running',
	succeeded: 'Succeeded',
	failed: 'Failed',
	cancelled: 'Cancelled'
} as const;

/** The form that registers a model served from one's own GPUs. */
export const servedModelSchema = z.object({
	baseUrl: z
		.string()
		.trim()
		.refine((text) => {
			try {
				return ['http:', 'https:'].includes(new URL(text).protocol);
			} catch {
				return false;
			}
		}, 'Give the URL the model is served at, such as http://gpu-box:8000/v1.')
		.transform((text) => text.replace(/\/+$/, '')),
	apiKey: z.string().trim().max(500, 'That key is too long to be an API key.'),
	modelName: z
		.string()
		.trim()
		.min(1, 'Give the name the server knows the model by (vLLM’s --served-model-name).')
		.max(200, 'Keep the model name under 200 characters.'),
	baseModel: z
		.string()
		.trim()
		.min(1, 'Give the base model it was trained from.')
		.max(200, 'Keep the base model under 200 characters.')
});

/** A file's query: its format and whether the teacher's reasoning goes before each answer. */
export const exportQuerySchema = z.object({
	format: z.enum(
		Object.keys(EXPORT_FORMATS) as [ExportFormat],
		'Choose one of the formats on the dataset page.'
	),
	reasoning: z.enum(['1', '']).default('')
});
