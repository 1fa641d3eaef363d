// The re-tune loop: iterations, every evaluated model's figures, and two models side by side.
import { z } from 'zod';
import {
	datasetFilterJsonSchema,
	datasetNameSchema,
	fineTuneJsonSchema
} from '../../schemas/dataset';
import {
	evaluationSettingsJsonSchema,
	evaluationSplitsSchema,
	figuresScopeSchema,
	sideBySideQuerySchema
} from '../../schemas/iteration';
import { DATASET_STATES, FINE_TUNE_STATUSES } from '../../server/db/schema';
import {
	adminsOnly,
	apiErrorSchema,
	notFound,
	projectPath,
	refused,
	timestamp,
	type Operation,
	projectArchived
} from '../parts';
import { outcomeOf, statisticSchema } from '../statistics';
import { jobProgressSchema } from './jobs';

const count = z.number().int();

const datasetSchema = z.object({
	id: z.number().int(),
	projectId: z.number().int(),
	name: z.string(),
	/** The filter that selected it, as JSON text. */
	filter: z.string(),
	trainCount: count,
	valCount: count,
	testCount: count,
	contentHash: z.string(),
	previousDatasetId: z.number().int().nullable(),
	createdBy: z.string().nullable(),
	state: z.enum(DATASET_STATES),
	stagedAt: timestamp.nullable(),
	createdAt: timestamp
});

const iterationSummarySchema = z.object({
	iteration: z.object({
		id: z.number().int(),
		projectId: z.number().int(),
		number: z.number().int(),
		datasetId: z.number().int().nullable(),
		fineTuneId: z.number().int().nullable(),
		evaluationJobId: z.number().int().nullable(),
		/** How its student is evaluated once the fine-tune succeeds: splits and settings, as JSON text. */
		evaluationConfig: z.string(),
		createdBy: z.string().nullable(),
		createdAt: timestamp
	}),
	dataset: datasetSchema.nullable(),
	/** What changed from the dataset before it; null for the first. */
	change: z.object({ added: count, removed: count, revised: count, kept: count }).nullable(),
	fineTune: z
		.object({
			id: z.number().int(),
			status: z.enum(FINE_TUNE_STATUSES),
			error: z.string().nullable(),
			baseModel: z.string()
		})
		.nullable(),
	student: z.object({ id: z.number().int(), name: z.string() }).nullable(),
	/** The warning for a student whose base model was retired or retires soon. */
	retirement: z.string().nullable(),
	evaluation: jobProgressSchema.nullable()
});

/** An estimate with its interval, or null with the reason it is undefined. */
const intervalSchema = outcomeOf(
	z.object({ value: z.number(), lower: z.number(), upper: z.number() })
);

const modelFiguresSchema = z.object({
	modelId: z.number().int(),
	name: z.string(),
	provider: z.string(),
	/** Set for a model made by a fine-tune here: what it was trained on. */
	trainedOn: z
		.object({
			fineTuneId: z.number().int(),
			baseModel: z.string(),
			datasetId: z.number().int(),
			datasetName: z.string(),
			trainCount: count,
			valCount: count,
			iteration: z.number().int().nullable()
		})
		.nullable(),
	outputs: count,
	rated: count,
	meanRating: z.number().nullable(),
	/** Share of rated outputs at or above the threshold, with its 95% interval. */
	clears: z.object({
		count,
		share: z.number().nullable(),
		low: z.number().nullable(),
		high: z.number().nullable()
	}),
	/** Krippendorff's alpha over the reviews of its outputs. */
	agreement: statisticSchema,
	repaired: count,
	costPer1000: z.number().nullable(),
	/** False while the model has no prices. */
	priced: z.boolean(),
	latencyMedianMs: z.number().nullable(),
	latencyP95Ms: z.number().nullable(),
	/** A label project's: the model's labels against the people's, label by label. */
	labelScores: z
		.object({
			units: count,
			labels: z.array(
				z.object({
					label: z.string(),
					support: count,
					precision: intervalSchema,
					recall: intervalSchema,
					f1: intervalSchema
				})
			),
			macroF1: intervalSchema
		})
		.nullable()
});

/** A share clearing the threshold with its 95% interval, and the outputs it rests on. */
const shareIntervalSchema = z.object({
	estimate: z.number(),
	low: z.number(),
	high: z.number(),
	humanRated: count,
	judged: count
});

const judgedEstimateSchema = z.object({
	modelId: z.number().int(),
	modelName: z.string(),
	judgeId: z.number().int(),
	judgeName: z.string(),
	judged: count,
	humanRated: count,
	/** The judge's verdicts corrected by its error on people's sample. */
	predictionPowered: shareIntervalSchema.nullable(),
	/** People's own estimate from the same sample. */
	humanOnly: shareIntervalSchema.nullable(),
	/** The judge's own share, uncorrected: not an estimate people stand behind. */
	judgeOnly: z.number().nullable()
});

const namedModel = z.object({ id: z.number().int(), name: z.string() });

const pairwiseResultSchema = z.object({
	judgeId: z.number().int(),
	judgeName: z.string(),
	baseline: namedModel,
	challenger: namedModel,
	/** Inputs compared in both orders, and those still waiting for an order. */
	inputs: count,
	waiting: count,
	challengerWins: count,
	baselineWins: count,
	ties: count,
	ordersAgree: count,
	/** The challenger's win rate, a tie counting half, with its 95% interval. */
	winRate: z.object({ estimate: z.number(), low: z.number(), high: z.number() }).nullable()
});

const pairedAnswerSchema = z.object({
	exampleId: z.number().int(),
	output: z.string().nullable(),
	rating: z.number().nullable(),
	repaired: z.boolean()
});

export const iterationQuerySchema = z.object({ scope: figuresScopeSchema });

/** The next iteration as a script starts it; each part is read by its page's own schema. */
export const iterationStartSchema = z.object({
	name: z.preprocess((value) => value ?? '', datasetNameSchema),
	filter: datasetFilterJsonSchema,
	fineTune: fineTuneJsonSchema,
	evaluation: z
		.object({
			splits: evaluationSplitsSchema.default(['test']),
			settings: evaluationSettingsJsonSchema
		})
		.prefault({})
});

export const ITERATION_OPERATIONS = {
	listIterations: {
		method: 'get',
		path: '/projects/{id}/iterations',
		summary:
			'The iterations, every evaluated model’s figures on held-out inputs, the judged estimates (per model and judge, the prediction-powered share clearing the threshold beside people’s own and the judge’s uncorrected one) and the pairwise judges’ win rates (admins)',
		access: 'admin',
		params: projectPath,
		query: iterationQuerySchema,
		responses: {
			200: {
				description: 'Iterations newest first, figures and judged estimates',
				schema: z.object({
					iterations: z.array(iterationSummarySchema),
					figures: z.object({
						scope: z.enum(['common', 'all']),
						/** Held-out inputs every model answered. */
						commonInputs: count,
						threshold: z.number(),
						models: z.array(modelFiguresSchema)
					}),
					judged: z.array(judgedEstimateSchema),
					pairwise: z.array(pairwiseResultSchema)
				})
			},
			400: { description: 'A scope other than common or all', schema: apiErrorSchema },
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	startIteration: {
		method: 'post',
		path: '/projects/{id}/iterations',
		summary:
			'Starts the next iteration: freezes a dataset, fine-tunes on it, and evaluates the student when it succeeds (admins)',
		access: 'admin',
		params: projectPath,
		body: iterationStartSchema,
		responses: {
			201: {
				description: 'Started',
				schema: z.object({
					iterationId: z.number().int(),
					number: z.number().int(),
					datasetId: z.number().int(),
					fineTuneId: z.number().int()
				})
			},
			400: {
				description:
					'Not JSON; the body, its filter, fine-tune or evaluation settings break a rule (each part’s fields keyed as its form keys them); or nothing could be frozen, trained or evaluated, and why. Nothing was kept.',
				schema: apiErrorSchema
			},
			...projectArchived,
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	compareModels: {
		method: 'get',
		path: '/projects/{id}/iterations/compare',
		summary:
			'Two models side by side on the same held-out inputs, fifty pairs a page, and the paired comparison (admins)',
		access: 'admin',
		params: projectPath,
		query: sideBySideQuerySchema,
		responses: {
			200: {
				description: 'A page of pairs and the paired comparison over every rated pair',
				schema: z.object({
					total: count,
					page: z.number().int(),
					pageSize: z.number().int(),
					pairs: z.array(
						z.object({ input: z.string(), a: pairedAnswerSchema, b: pairedAnswerSchema })
					),
					paired: z.object({
						n: count,
						aBetter: count,
						bBetter: count,
						ties: count,
						meanDifference: z.number().nullable(),
						low: z.number().nullable(),
						high: z.number().nullable()
					})
				})
			},
			400: {
				description: 'a or b missing, not a model id, or the same; or a page that is not one',
				schema: apiErrorSchema
			},
			...refused({ ...notFound, ...adminsOnly })
		}
	}
} satisfies Record<string, Operation>;
