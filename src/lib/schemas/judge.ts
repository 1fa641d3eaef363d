import { z } from 'zod';

/** The fields of the judge form, as its page reads them. */
export const JUDGE_FIELDS = ['name', 'modelId', 'rubric', 'withReference', 'temperature'] as const;

/** An admin's judge: which model, with what rubric and settings. */
export const judgeFormSchema = z.object({
	name: z
		.string()
		.trim()
		.min(1, 'Give the judge a name.')
		.max(80, 'Keep the name under 80 characters.'),
	modelId: z.coerce
		.number('Choose the model that judges.')
		.int()
		.positive('Choose the model that judges.'),
	rubric: z
		.string()
		.trim()
		.min(1, 'Write the rubric, or keep the one offered.')
		.max(20_000, 'Keep the rubric under 20,000 characters.')
		.refine(
			(rubric) => rubric.includes('{{scale}}'),
			'The rubric names no rating scale: keep {{scale}} in it, where the scale and its threshold are written in.'
		),
	withReference: z
		.string()
		.optional()
		.transform((on) => on === 'on'),
	temperature: z
		.string()
		.trim()
		.transform((text, ctx) => {
			if (text === '') return null;
			const value = Number(text);
			if (!Number.isFinite(value) || value < 0 || value > 2) {
				ctx.addIssue({
					code: 'custom',
					message: 'Give the temperature between 0 and 2, or leave it empty.'
				});
				return z.NEVER;
			}
			return value;
		})
});

export type JudgeInput = z.infer<typeof judgeFormSchema>;
