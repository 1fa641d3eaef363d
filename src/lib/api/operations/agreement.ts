// Agreement: how far annotators agree, per project, requirement, annotator and week, with the
// audit sample's estimates, a label project's figures and the comparisons' beside them.
import { z } from 'zod';
import {
	adminsOnly,
	notFound,
	projectPath,
	RATING_SCALES,
	refused,
	type Operation
} from '../parts';
import {
	alphaIntervalSchema,
	estimateIntervalSchema,
	statisticSchema,
	wilsonBounds
} from '../statistics';
import { comparisonFiguresSchema } from './comparisons';

const LEVELS = ['nominal', 'ordinal', 'interval', 'ratio'] as const;

/** A share with its 95% Wilson interval, and how many it is a share of. */
const rateSchema = z.object({
	share: z.number(),
	low: z.number(),
	high: z.number(),
	of: z.number().int()
});

/** A share estimated with its 95% interval, and the outputs it rests on. */
const shareIntervalSchema = z.object({
	estimate: z.number(),
	low: z.number(),
	high: z.number(),
	humanRated: z.number().int(),
	judged: z.number().int()
});

/**
 * What the audit sample tells of a judge-guided queue: outputs served at random, so people's
 * verdicts on them estimate the acceptance rate and each judge's errors without the judges'
 * choice in the way. Null unless the queue is judge-guided.
 */
const auditSchema = z
	.object({
		auditShare: z.number(),
		/** Outputs in the sample now (by the current share). */
		members: z.number().int(),
		/** Outputs served from the sample, and of them those settled or disputed. */
		served: z.number().int(),
		settled: z.number().int(),
		disputed: z.number().int(),
		/** The acceptance rate from the sample alone; null before any settled. */
		accepted: rateSchema.nullable(),
		/** Every settled output, the guided ones too: biased once the judges choose the order. */
		allSettled: z.object({ accepted: z.number().int(), of: z.number().int() }),
		judges: z.array(
			z.object({
				id: z.number().int(),
				name: z.string(),
				/** Audit outputs with both the judge's rating and people's verdict. */
				rated: z.number().int(),
				/** Of the audit outputs people rejected, the share the judge passed. */
				missedRejects: rateSchema.nullable(),
				/** Of the audit outputs people accepted, the share the judge failed. */
				failedAccepts: rateSchema.nullable(),
				/** The acceptance rate from the judge's ratings, corrected on the sample. */
				predictionPowered: shareIntervalSchema.nullable()
			})
		)
	})
	.nullable();

/**
 * A label project's agreement, label by label; null for other projects.
 */
const labelsSchema = z
	.object({
		labels: z.array(
			z.object({
				label: z.string(),
				/** The share of all choices that chose this label. */
				share: z.number(),
				kappa: estimateIntervalSchema,
				alpha: estimateIntervalSchema
			})
		),
		/** Examples with at least two people's choices. */
		units: z.number().int(),
		/** Single choice only: rows are the others' majority, columns a person's choice. */
		confusion: z
			.object({
				labels: z.array(z.string()),
				matrix: z.array(z.array(z.number().int())),
				units: z.number().int()
			})
			.nullable(),
		/** Per label of the gold answers: how often people left a gold example with its answer. */
		gold: z.array(
			z.object({
				label: z.string(),
				examples: z.number().int(),
				reviews: z.number().int(),
				correct: z.number().int(),
				share: z.number().nullable(),
				...wilsonBounds
			})
		)
	})
	.nullable();

const annotatorQualitySchema = z.object({
	userId: z.string(),
	displayName: z.string(),
	reviews: z.number().int(),
	/** Alpha with this annotator's ratings left out. */
	alphaWithout: statisticSchema,
	/** Overall alpha minus alphaWithout: positive when this annotator raises agreement. */
	effectOnAlpha: z.number().nullable(),
	meanRating: z.number().nullable(),
	othersMeanRating: z.number().nullable(),
	repairRate: z.number().nullable(),
	medianSeconds: z.number().nullable(),
	/** Reviews per scale value, in the scale's order. */
	distribution: z.array(
		z.object({ value: z.number(), label: z.string(), count: z.number().int() })
	),
	/** Their ratings of gold examples against the true ratings; the last two five stars only. */
	gold: z.object({
		judged: z.number().int(),
		exact: z.number().nullable(),
		withinOne: z.number().nullable(),
		meanDifference: z.number().nullable()
	})
});

/**
 * The agreement page's figures. A unit is one revision of an example; its ratings are the
 * reviews of that revision.
 */
export const agreementSchema = z.object({
	scale: z.enum(RATING_SCALES),
	/** The level of measurement the scale implies, and the one also reported (five stars). */
	level: z.enum(LEVELS),
	alsoLevel: z.enum(LEVELS).nullable(),
	units: z.number().int(),
	pairableUnits: z.number().int(),
	reviews: z.number().int(),
	alpha: statisticSchema,
	alsoAlpha: statisticSchema.nullable(),
	interval: alphaIntervalSchema,
	/** Krippendorff's reading of alpha; null while alpha is undefined. */
	reading: z
		.object({ reading: z.enum(['reliable', 'tentative', 'unreliable']), text: z.string() })
		.nullable(),
	/** Fleiss' kappa on the units with the most common number of ratings. */
	fleiss: z.object({
		kappa: statisticSchema,
		raters: z.number().int(),
		units: z.number().int()
	}),
	percentExact: statisticSchema,
	/** Five stars only. */
	percentWithinOne: statisticSchema.nullable(),
	/** Alpha per requirement, archived ones too. */
	requirements: z.array(
		z.object({
			id: z.number().int(),
			name: z.string(),
			archived: z.boolean(),
			units: z.number().int(),
			alpha: statisticSchema
		})
	),
	/** Alpha per ISO week (e.g. 2025-W09, starting on its Monday) of each unit's latest review. */
	weekly: z.array(
		z.object({
			week: z.string(),
			start: z.iso.date(),
			units: z.number().int(),
			alpha: statisticSchema
		})
	),
	kappaWeights: z.enum(['quadratic', 'unweighted']),
	annotators: z.array(z.object({ id: z.string(), displayName: z.string() })),
	/** Cohen's kappa of every two annotators, over the units both rated. */
	kappaPairs: z.array(
		z.object({
			a: z.string(),
			b: z.string(),
			sharedUnits: z.number().int(),
			kappa: statisticSchema
		})
	),
	quality: z.array(annotatorQualitySchema),
	/** Where the reviewed examples stand (gold ones counted apart). */
	outcomes: z.object({
		accepted: z.number().int(),
		rejected: z.number().int(),
		waitingForAdjudication: z.number().int(),
		adjudicated: z.number().int(),
		gold: z.number().int()
	}),
	audit: auditSchema,
	labels: labelsSchema,
	comparisons: comparisonFiguresSchema
});
export type AgreementView = z.infer<typeof agreementSchema>;

export const AGREEMENT_OPERATIONS = {
	getAgreement: {
		method: 'get',
		path: '/projects/{id}/agreement',
		summary:
			'Agreement figures, and with a judge-guided queue the audit sample’s estimates: the acceptance rate and each judge’s errors (admins)',
		access: 'admin',
		params: projectPath,
		responses: {
			200: {
				description:
					'The figures, with `audit` (null unless judge-guided), `labels` (a label project’s per-label kappa and alpha with intervals, the confusion against the others’ majority, accuracy on gold per label; else null) and `comparisons` (agreement with ties as a category, position bias per annotator, gold; null without comparisons)',
				schema: agreementSchema
			},
			...refused({ ...notFound, ...adminsOnly })
		}
	}
} satisfies Record<string, Operation>;
