import { z } from 'zod';
import { formFromJson, jsonCheckbox, jsonChoice, jsonNumber, type JsonFields } from './forms';

const whole = (what: string, min: number, max: number) =>
	z.coerce
		.number(`Give ${what} as a number.`)
		.int(`Give ${what} as a whole number.`)
		.min(min, `${what[0].toUpperCase()}${what.slice(1)} is at least ${min}.`)
		.max(max, `${what[0].toUpperCase()}${what.slice(1)} is at most ${max}.`);

/** How a job calls its teacher; stored with the job as JSON. */
export const jobSettingsSchema = z.object({
	temperature: z.coerce
		.number('Give the temperature as a number.')
		.min(0, 'The temperature is between 0 and 2.')
		.max(2, 'The temperature is between 0 and 2.'),
	maxTokens: z
		.string()
		.trim()
		.transform((text, ctx) => {
			if (text === '') return null;
			const value = Number(text);
			if (!Number.isInteger(value) || value < 1 || value > 200_000) {
				ctx.addIssue({
					code: 'custom',
					message:
						'Give the most output tokens as a whole number from 1 to 200,000, or leave it empty.'
				});
				return z.NEVER;
			}
			return value;
		}),
	samplesPerInput: whole('the number of samples per input', 1, 10),
	fewShot: whole('the number of few-shot examples', 0, 20),
	reasoning: z.enum(['on', '']).transform((v) => v === 'on'),
	invalidOutputs: z.enum(['repair', 'drop'], 'Choose what happens to an invalid output.'),
	concurrency: whole('the concurrency', 1, 256),
	timeoutSeconds: whole('the timeout', 5, 900)
});
export type JobSettings = z.infer<typeof jobSettingsSchema>;

export const JOB_SETTING_DEFAULTS = {
	temperature: '0.7',
	maxTokens: '',
	samplesPerInput: '1',
	fewShot: '0',
	reasoning: '',
	invalidOutputs: 'repair',
	concurrency: '8',
	timeoutSeconds: '120'
} as const;

export const INVALID_OUTPUT_LABELS = {
	repair: 'Keep it, marked invalid, for an annotator to repair',
	drop: 'Drop it: the item fails with the reason'
} as const;

/** The job settings a JSON body may give, each with the kind of value its form field takes. */
export const jobSettingsJsonFields = z.object(
	{
		temperature: jsonNumber('From 0 to 2'),
		maxTokens: jsonNumber('The most output tokens, from 1 to 200,000; null or "" for no limit'),
		samplesPerInput: jsonNumber('Outputs per input and model, from 1 to 10'),
		fewShot: jsonNumber('Accepted training examples shown before the input, from 0 to 20'),
		reasoning: jsonCheckbox('Ask the teacher to reason first; the reasoning is kept apart'),
		invalidOutputs: jsonChoice(
			jobSettingsSchema.shape.invalidOutputs.options,
			`What becomes of an output that fails the output schema: repair (${INVALID_OUTPUT_LABELS.repair.toLowerCase()}) or drop (${INVALID_OUTPUT_LABELS.drop.toLowerCase()})`
		),
		concurrency: jsonNumber('Calls at once, from 1 to 256'),
		timeoutSeconds: jsonNumber('Timeout per call in seconds, from 5 to 900')
	},
	'Give settings as an object of names and values.'
);

/** Settings as a JSON body gives them (formFromJson), saying the defaults of those left out. */
export function settingsFromJson<Settings>(
	fields: JsonFields,
	defaults: Record<string, string>,
	form: z.ZodType<Settings>
) {
	const said = Object.entries(defaults)
		.map(([name, value]) => `${name} ${value === '' ? 'blank' : value}`)
		.join(', ');
	return formFromJson(
		fields.describe(`Each setting left out takes the form’s default: ${said}`),
		defaults,
		form
	);
}

/** A distillation job's settings as an API body gives them. */
export const jobSettingsJsonSchema = settingsFromJson(
	jobSettingsJsonFields,
	JOB_SETTING_DEFAULTS,
	jobSettingsSchema
);

export const JOB_STATUS_LABELS = {
	draft: 'Draft',
	pending: 'Pending',
	running: 'Running',
	paused: 'Paused',
	cancelled: 'Cancelled',
	done: 'Done',
	failed: 'Failed'
} as const;

const wholeIn = (what: string, min: number, max: number) =>
	z.coerce
		.number(`Give ${what} as a number.`)
		.int(`Give ${what} as a whole number.`)
		.min(min, `Give ${what} from ${min} to ${max}.`)
		.max(max, `Give ${what} from ${min} to ${max}.`);

/** The form that starts a topic tree for synthetic inputs. */
export const syntheticRunSchema = z.object({
	modelId: z.coerce.number('Choose the teacher model.').int().positive('Choose the teacher model.'),
	rootTopic: z
		.string()
		.trim()
		.min(1, 'Give the root topic, such as “customer questions about orders”.')
		.max(200, 'Keep the root topic under 200 characters.'),
	guidance: z.string().trim().max(2000, 'Keep the guidance under 2,000 characters.'),
	breadth: wholeIn('the subtopics per topic', 2, 10),
	depth: wholeIn('the depth', 1, 3),
	inputsPerLeaf: wholeIn('the inputs per leaf', 1, 20)
});

export const SYNTHETIC_DEFAULTS = {
	rootTopic: '',
	guidance: '',
	breadth: '3',
	depth: '2',
	inputsPerLeaf: '3'
} as const;

export const topicNameSchema = z
	.string()
	.trim()
	.min(1, 'A topic needs a name.')
	.max(200, 'Keep topic names under 200 characters.');

export const draftTextSchema = z
	.string()
	.trim()
	.min(1, 'An input cannot be empty; remove it instead.')
	.max(20_000, 'Keep an input under 20,000 characters.');
