import { z } from 'zod';
import { optionalTemperature } from './playground';

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
	temperature: optionalTemperature
});

export type JudgeInput = z.infer<typeof judgeFormSchema>;

/** What a judge run judges, as the judge page's form gives it. */
export const judgeRunSchema = z
	.object({
		selection: z.enum(['queue', 'all', 'job', 'import'], 'Choose which outputs to judge.'),
		number: z.string().trim(),
		concurrency: z.coerce
			.number('Give the calls at once as a whole number from 1 to 32.')
			.int('Give the calls at once as a whole number from 1 to 32.')
			.min(1, 'Give the calls at once as a whole number from 1 to 32.')
			.max(32, 'Give the calls at once as a whole number from 1 to 32.')
	})
	.superRefine((form, ctx) => {
		const needs = form.selection === 'job' || form.selection === 'import';
		if (needs && !/^\d{1,15}$/.test(form.number)) {
			ctx.addIssue({
				code: 'custom',
				path: ['number'],
				message: `Give the number of the ${form.selection} whose outputs to judge.`
			});
		}
	})
	.transform((form) =>
		form.selection === 'job'
			? {
					selection: { kind: 'job' as const, jobId: Number(form.number) },
					concurrency: form.concurrency
				}
			: form.selection === 'import'
				? {
						selection: { kind: 'import' as const, importId: Number(form.number) },
						concurrency: form.concurrency
					}
				: { selection: { kind: form.selection }, concurrency: form.concurrency }
	);

const chosenId = (message: string) =>
	z
		.string()
		.regex(/^\d{1,15}$/, message)
		.transform(Number);

/** A pairwise comparison of two evaluated models by a judge, as the iteration page's form gives it. */
export const pairwiseFormSchema = z
	.object({
		judgeId: chosenId('Choose a judge.'),
		baselineId: chosenId('Choose the baseline model.'),
		challengerId: chosenId('Choose the model to measure against it.')
	})
	.refine((form) => form.baselineId !== form.challengerId, {
		path: ['challengerId'],
		message: 'Choose a model other than the baseline.'
	});

/** Two evaluated models whose answers people are to compare, from the iteration page. */
export const peopleCompareSchema = z
	.object({
		firstModelId: chosenId('Choose the first model.'),
		secondModelId: chosenId('Choose the model to compare it with.')
	})
	.refine((form) => form.firstModelId !== form.secondModelId, {
		path: ['secondModelId'],
		message: 'Choose a model other than the first.'
	});
