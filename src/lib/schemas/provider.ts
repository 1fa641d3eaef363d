import { z } from 'zod';

const optionalLimit = (what: string) =>
	z
		.string()
		.trim()
		.transform((text, ctx) => {
			if (text === '') return null;
			const value = Number(text);
			if (!Number.isInteger(value) || value < 1) {
				ctx.addIssue({ code: 'custom', message: `Give ${what} as a whole number of 1 or more.` });
				return z.NEVER;
			}
			return value;
		});

const price = z.coerce
	.number('Give the price as a number of dollars.')
	.min(0, 'A price cannot be negative.')
	.max(10_000, 'That price is too high to be right; it is per million tokens.');

/** The add-a-provider form. The key may be empty: a local Ollama or vLLM needs none. */
export const providerSchema = z.object({
	name: z
		.string()
		.trim()
		.min(1, 'Give the provider a name.')
		.max(80, 'Keep the name under 80 characters.'),
	baseUrl: z
		.string()
		.trim()
		.min(1, 'Give the base URL, such as https://api.openai.com/v1.')
		.refine((text) => {
			try {
				const url = new URL(text);
				return url.protocol === 'http:' || url.protocol === 'https:';
			} catch {
				return false;
			}
		}, 'This is not an http(s) URL. OpenAI’s is https://api.openai.com/v1.')
		.transform((text) => text.replace(/\/+$/, '')),
	apiKey: z.string().trim().max(500, 'That key is too long to be an API key.'),
	accountId: z
		.string()
		.trim()
		.max(63, 'Keep the account id under 64 characters.')
		.regex(
			/^([a-z0-9][a-z0-9-]*[a-z0-9]|[a-z0-9])?$/,
			'An account id is lowercase letters, digits and hyphens, as in the Fireworks console.'
		)
		.optional()
		.transform((text) => text || null),
	requestsPerMinute: optionalLimit('requests per minute'),
	tokensPerMinute: optionalLimit('tokens per minute')
});
export type ProviderInput = z.infer<typeof providerSchema>;

export const modelSchema = z.object({
	name: z
		.string()
		.trim()
		.min(1, 'Give the model’s id at the provider, such as gpt-4.1-mini.')
		.max(200, 'Keep the model id under 200 characters.'),
	inputPricePerMTok: price,
	outputPricePerMTok: price
});
export type ModelInput = z.infer<typeof modelSchema>;

/** The form that adds a base model's retirement date, or corrects the one it has. */
export const retirementSchema = z.object({
	model: z
		.string()
		.trim()
		.min(1, 'Give the model as its provider names it, such as gpt-4o-mini.')
		.max(200, 'Keep the model under 200 characters.'),
	retiresOn: z
		.string()
		.trim()
		.regex(/^\d{4}-\d{2}-\d{2}$/, 'Give the date as YYYY-MM-DD.')
		.transform((text, ctx) => {
			const day = new Date(`${text}T00:00:00Z`);
			if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text) {
				ctx.addIssue({ code: 'custom', message: 'That day does not exist.' });
				return z.NEVER;
			}
			return day;
		}),
	source: z
		.string()
		.trim()
		.min(1, 'Say where the date was announced, so others can check it.')
		.max(300, 'Keep the source under 300 characters.')
});
