import { z } from 'zod';
import { compileValidator } from '../jsonSchema';
import { readContext } from '../conversations';
import { JOB_SETTING_DEFAULTS, jobSettingsSchema } from './job';

export const MAX_PLAYGROUND_MODELS = 4;
const MAX_INPUT_LENGTH = 100_000;

/** The fields of the playground form, as a page starts them. */
export const PLAYGROUND_DEFAULTS = {
	input: '',
	temperature: JOB_SETTING_DEFAULTS.temperature,
	maxTokens: JOB_SETTING_DEFAULTS.maxTokens,
	fewShot: JOB_SETTING_DEFAULTS.fewShot,
	reasoning: JOB_SETTING_DEFAULTS.reasoning
};

type InputRules = { inputKind: 'text' | 'json' | 'conversation'; inputSchema: string | null };

/**
 * The input as a job would get it: JSON inputs are checked as an import checks them (valid
 * JSON that fits the project's input schema) and sent compact; text loses its outer blanks.
 */
function inputSchema({ inputKind, inputSchema }: InputRules) {
	const validate = inputKind === 'json' ? compileValidator(inputSchema) : null;
	return z
		.string()
		.transform((text) => text.replace(/\r\n?/g, '\n').trim())
		.pipe(
			z
				.string()
				.min(1, 'Type an input to try.')
				.max(MAX_INPUT_LENGTH, 'Keep the input under 100,000 characters.')
		)
		.transform((text, ctx) => {
			if (inputKind === 'text') return text;
			let value: unknown;
			try {
				value = JSON.parse(text);
			} catch (e) {
				ctx.addIssue({
					code: 'custom',
					message: `This project’s inputs are JSON, and this is not valid JSON: ${(e as Error).message}`
				});
				return z.NEVER;
			}
			if (inputKind === 'conversation') {
				const read = readContext(value);
				if (!read.ok) {
					ctx.addIssue({
						code: 'custom',
						message: `The conversation cannot be used: ${read.reason}`
					});
					return z.NEVER;
				}
				return JSON.stringify(value);
			}
			const problem = validate?.(value) ?? null;
			if (problem) {
				ctx.addIssue({
					code: 'custom',
					message: `The input fails the project’s schema: ${problem}`
				});
				return z.NEVER;
			}
			return JSON.stringify(value);
		});
}

/** The playground form for a project: its input rules decide what an input must be. */
/** A temperature from 0 to 2, or empty for the model's default (null). */
export const optionalTemperature = z
	.string()
	.trim()
	.transform((text, ctx) => {
		if (text === '') return null;
		const value = Number(text);
		if (!Number.isFinite(value) || value < 0 || value > 2) {
			ctx.addIssue({
				code: 'custom',
				message: 'Give the temperature from 0 to 2, or leave it empty for the model’s default.'
			});
			return z.NEVER;
		}
		return value;
	});

export function playgroundSchema(rules: InputRules) {
	return z.object({
		modelIds: z
			.array(z.coerce.number().int().positive())
			.min(1, 'Choose at least one model.')
			.max(MAX_PLAYGROUND_MODELS, `Choose at most ${MAX_PLAYGROUND_MODELS} models at once.`)
			.transform((ids) => [...new Set(ids)]),
		input: inputSchema(rules),
		temperature: optionalTemperature,
		maxTokens: jobSettingsSchema.shape.maxTokens,
		fewShot: jobSettingsSchema.shape.fewShot,
		reasoning: jobSettingsSchema.shape.reasoning
	});
}

export type PlaygroundForm = z.infer<ReturnType<typeof playgroundSchema>>;
