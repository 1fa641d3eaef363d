// Comparisons: two outputs for the same input judged side by side, their figures, and gold.
import { z } from 'zod';
import {
	adminsOnly,
	apiErrorSchema,
	notFound,
	projectPath,
	refused,
	timestamp,
	type Operation
} from '../parts';
import { alphaIntervalSchema, estimateIntervalSchema, wilsonBounds } from '../statistics';

const PREFERENCES = ['first', 'second', 'tie'] as const;

const positionBiasSchema = z.object({
	/** Judgments that chose an output (not ties). */
	picks: z.number().int(),
	left: z.number().int(),
	/** The share of picks on the left, with its 95% Wilson interval; null without picks. */
	share: z.number().nullable(),
	...wilsonBounds,
	/** Away from 50% by more than the tolerance, with the interval leaving 50% out too. */
	flagged: z.boolean()
});

/**
 * How far people agree on comparisons (ties a category of their own) and whether they lean to
 * one side of the screen; null while the project has no comparisons.
 */
export const comparisonFiguresSchema = z
	.object({
		counts: z.object({
			open: z.number().int(),
			settled: z.number().int(),
			disputed: z.number().int()
		}),
		/** Comparisons with two judgments or more. */
		units: z.number().int(),
		/** Krippendorff's alpha (nominal) with its bootstrap interval. */
		alpha: alphaIntervalSchema,
		/** Fleiss' kappa over the comparisons with the required number of judgments. */
		kappa: estimateIntervalSchema,
		position: positionBiasSchema,
		annotators: z.array(
			z.object({
				userId: z.string(),
				name: z.string(),
				judgments: z.number().int(),
				ties: z.number().int(),
				position: positionBiasSchema,
				/** On gold comparisons: how many matched the known answer, with its Wilson interval. */
				gold: z.object({ judged: z.number().int(), right: z.number().int(), ...wilsonBounds })
			})
		)
	})
	.nullable();

const comparisonSchema = z.object({
	id: z.number().int(),
	firstExampleId: z.number().int(),
	firstRevisionId: z.number().int(),
	secondExampleId: z.number().int(),
	secondRevisionId: z.number().int(),
	/** The job whose outputs it compares, when a job made it. */
	jobId: z.number().int().nullable(),
	status: z.enum(['open', 'settled', 'disputed']),
	/** Once settled, the majority's choice in the comparison's own order. */
	preferred: z.enum(PREFERENCES).nullable(),
	judgments: z.number().int(),
	/** A gold comparison's known answer. */
	gold: z.enum(PREFERENCES).nullable(),
	createdAt: timestamp
});

export const comparisonQuerySchema = z.object({
	/** The id after which the page starts: the last answer's `next`. */
	after: z.coerce.number().int().min(0).default(0),
	limit: z.coerce.number().int().min(1).max(1000).default(500)
});

const id = z.number().int().positive();
const output = z
	.object({ exampleId: id, revisionId: id })
	.meta({ description: 'One output: an example and one of its revisions' });

/** One of three ways to say what to compare. */
export const comparisonsQueueSchema = z.union(
	[
		z.strictObject({ jobId: id }).meta({
			description:
				'A finished job’s outputs, input by input: its two teachers’, or one teacher’s two samples'
		}),
		z.strictObject({ modelIds: z.tuple([id, id]) }).meta({
			description: 'Two evaluated models’ answers to every held-out input both answered'
		}),
		z.strictObject({
			pairs: z
				.array(z.object({ first: output, second: output }))
				.min(1, 'Give at least one pair.')
				.max(10_000, 'Queue at most 10,000 pairs at a time.')
				.meta({ description: 'Given pairs of outputs of the same input' })
		})
	],
	{
		error:
			'Give {"jobId"}, {"modelIds": [first, second]} or {"pairs": [{"first": {"exampleId", "revisionId"}, "second": {…}}]}.'
	}
);

export const comparisonGoldSchema = z.strictObject({
	gold: z
		.enum(PREFERENCES, 'Give gold as "first", "second", "tie" or null.')
		.nullable()
		.meta({ description: 'The known answer in the comparison’s own order; null makes it ordinary' })
});

export const COMPARISON_OPERATIONS = {
	listComparisons: {
		method: 'get',
		path: '/projects/{id}/comparisons',
		summary:
			'The project’s comparisons a page at a time, in id order, with their agreement and position-bias figures (admins)',
		access: 'admin',
		params: projectPath,
		query: comparisonQuerySchema,
		responses: {
			200: {
				description: 'A page, the `after` of the next one (null on the last), and the figures',
				schema: z.object({
					comparisons: z.array(comparisonSchema),
					next: z.number().int().nullable(),
					figures: comparisonFiguresSchema
				})
			},
			400: { description: 'An `after` or `limit` that is not one', schema: apiErrorSchema },
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	queueComparisons: {
		method: 'post',
		path: '/projects/{id}/comparisons',
		summary:
			'Queues comparisons for people: a finished job’s two teachers or two samples per input, two evaluated models’ answers to the held-out inputs, or given pairs of outputs of the same input, all or none (admins)',
		access: 'admin',
		params: projectPath,
		body: comparisonsQueueSchema,
		responses: {
			201: {
				description:
					'Queued: `created`; `alreadyQueued` (the same two outputs, in either order); `identical` (two outputs with the same text, left out)',
				schema: z.object({
					created: z.number().int(),
					alreadyQueued: z.number().int(),
					identical: z.number().int()
				})
			},
			400: {
				description:
					'Not one of the three shapes, an output with itself, two different inputs, or nothing to compare; nothing queued',
				schema: apiErrorSchema
			},
			...refused({
				404: {
					description: 'No such project, job or output, or a model without held-out answers',
					schema: apiErrorSchema
				},
				...adminsOnly
			})
		}
	},
	setComparisonGold: {
		method: 'post',
		path: '/projects/{id}/comparisons/{comparisonId}/gold',
		summary:
			'Makes a comparison gold with its known answer, in its own order, or ordinary again with null (admins)',
		access: 'admin',
		params: projectPath.extend({ comparisonId: z.coerce.number().int().positive() }),
		body: comparisonGoldSchema,
		responses: {
			200: {
				description: 'The comparison and its gold answer',
				schema: z.object({ id: z.number().int(), gold: z.enum(PREFERENCES).nullable() })
			},
			400: { description: 'Not a gold answer', schema: apiErrorSchema },
			...refused({
				404: { description: 'No such project or comparison', schema: apiErrorSchema },
				...adminsOnly
			})
		}
	}
} satisfies Record<string, Operation>;
