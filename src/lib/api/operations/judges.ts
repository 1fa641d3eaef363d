// Judges: a model and a rubric whose ratings are advice, measured against people's.
import { z } from 'zod';
import { formFromJson, jsonCheckbox, jsonNumber, jsonText } from '../../schemas/forms';
import { judgeFormSchema } from '../../schemas/judge';
import { JOB_STATUSES } from '../../server/db/schema';
import { DEFAULT_RUBRIC } from '../../server/judges/rubric';
import {
	adminsOnly,
	apiErrorSchema,
	conflict,
	notFound,
	projectPath,
	refused,
	timestamp,
	type Operation,
	projectArchived
} from '../parts';
import { outcomeOf, statisticSchema } from '../statistics';

const judgeSchema = z.object({
	id: z.number().int(),
	projectId: z.number().int(),
	name: z.string(),
	/** Null once its model was deleted: it cannot run until it is given another. */
	modelId: z.number().int().nullable(),
	rubric: z.string(),
	withReference: z.boolean(),
	temperature: z.number().nullable(),
	/** Whether it was trusted when last measured: only then do its fails go first in the queue. */
	trusted: z.boolean(),
	createdBy: z.string().nullable(),
	createdAt: timestamp,
	updatedAt: timestamp,
	/** The model and its provider, as the pages name it. */
	modelLabel: z.string().nullable()
});

/** The judge against people's verdicts, beside each annotator against the others. */
const measureSchema = z.object({
	/** Outputs both the judge and people rated. */
	units: z.number().int(),
	/** Cohen's kappa of the judge against people's verdict, with its bootstrap interval. */
	kappa: outcomeOf(
		z.object({
			kappa: z.number(),
			lower: z.number(),
			upper: z.number(),
			replicates: z.number().int()
		})
	),
	humanAlpha: statisticSchema,
	alphaWithJudge: statisticSchema,
	annotators: z.array(
		z.object({ name: z.string(), units: z.number().int(), kappa: statisticSchema })
	),
	medianAnnotatorKappa: z.number().nullable(),
	trust: z.object({ trusted: z.boolean(), text: z.string() })
});

const judgeAgreementSchema = measureSchema.extend({
	/** The judge's pass (at or above the threshold) against people's accept or reject. */
	confusion: z.object({
		passAccepted: z.number().int(),
		passRejected: z.number().int(),
		failAccepted: z.number().int(),
		failRejected: z.number().int()
	}),
	rejectsCaught: z.number().nullable(),
	failsAccepted: z.number().nullable(),
	requirements: z.array(measureSchema.extend({ id: z.number().int(), name: z.string() }))
});

const judgeRunSchema = z.object({
	/** The run's job: follow it at /jobs/{jobId}. */
	id: z.number().int(),
	status: z.enum(JOB_STATUSES),
	createdAt: timestamp,
	error: z.string().nullable(),
	/** What it judged, in words. */
	judged: z.string().optional()
});

/**
 * A judge as a script defines it: the judge form's fields, each of the kind its form field
 * takes, read by the form's own schema (the default rubric when none is given).
 */
export const judgeCreateSchema = formFromJson(
	z.object(
		{
			name: jsonText('Unique in the project, at most 80 characters'),
			modelId: jsonNumber('The model that judges'),
			rubric: jsonText(
				'The judge’s instructions; {{instruction}}, {{requirements}} and {{scale}} are filled in when sent, and {{scale}} must stay. The default rubric when left out.'
			),
			withReference: jsonCheckbox(
				'true to show the judge the example’s reference output, when it has one'
			),
			temperature: jsonNumber('From 0 to 2; empty or null for the model’s own')
		},
		'Send the judge as a JSON object.'
	),
	{ name: '', modelId: '', rubric: DEFAULT_RUBRIC, temperature: '' },
	judgeFormSchema
);

export const JUDGE_SELECTIONS = ['queue', 'all', 'job', 'import', 'pairwise'] as const;

/** What a judge run judges; the form's own rules then read it (judgeRunSchema). */
export const judgeRunStartSchema = z.object({
	selection: z.enum(JUDGE_SELECTIONS, {
		error: (issue) =>
			typeof issue.input === 'string'
				? 'Choose which outputs to judge.'
				: 'Give the selection: queue, all, job, import or pairwise.'
	}),
	jobId: z.number().int().positive().optional().meta({ description: 'With selection "job"' }),
	importId: z.number().int().positive().optional().meta({ description: 'With selection "import"' }),
	modelIds: z
		.tuple([z.number().int().positive(), z.number().int().positive()], {
			error: 'Give modelIds as the baseline model’s id and the other model’s.'
		})
		.optional()
		.meta({
			description:
				'With selection "pairwise": the baseline model, then the model measured against it'
		}),
	concurrency: z.number().int().optional().meta({
		description:
			'Calls at once, 1 to 32 (4 unless given); a pairwise run keeps any other within that'
	})
});

const judgePath = projectPath.extend({ judgeId: z.coerce.number().int().positive() });

export const JUDGE_OPERATIONS = {
	listJudges: {
		method: 'get',
		path: '/projects/{id}/judges',
		summary: 'The project’s judges, by name: model and rubric (admins)',
		access: 'admin',
		params: projectPath,
		responses: {
			200: { description: 'The judges', schema: z.object({ judges: z.array(judgeSchema) }) },
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	createJudge: {
		method: 'post',
		path: '/projects/{id}/judges',
		summary:
			'Defines a judge; its ratings are advice, never a final rating, a status or training data (admins)',
		access: 'admin',
		params: projectPath,
		body: judgeCreateSchema,
		responses: {
			201: { description: 'Defined', schema: z.object({ id: z.number().int() }) },
			400: {
				description:
					'Not JSON or not an object; a field breaks a rule; or the model no longer exists',
				schema: apiErrorSchema
			},
			...conflict('The project already has a judge of that name'),
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	getJudge: {
		method: 'get',
		path: '/projects/{id}/judges/{judgeId}',
		summary:
			'One judge, its last twenty runs, and its agreement with people overall and per requirement (admins)',
		access: 'admin',
		params: judgePath,
		responses: {
			200: {
				description: 'The judge, its runs newest first, and how far it agrees with people',
				schema: z.object({
					judge: judgeSchema,
					runs: z.array(judgeRunSchema),
					agreement: judgeAgreementSchema
				})
			},
			...refused({
				404: { description: 'No such project, or no such judge in it', schema: apiErrorSchema },
				...adminsOnly
			})
		}
	},
	startJudgeRun: {
		method: 'post',
		path: '/projects/{id}/judges/{judgeId}/runs',
		summary:
			'Runs the judge over the current outputs of a selection it has not rated yet, or (selection "pairwise") compares two evaluated models on their held-out answers, each pair in both orders; follow it as a job (admins)',
		access: 'admin',
		params: judgePath,
		body: judgeRunStartSchema,
		responses: {
			201: {
				description: 'Started: the run’s job and how many items it has',
				schema: z.object({ jobId: z.number().int(), items: z.number().int() })
			},
			400: {
				description:
					'Not JSON; a field breaks a rule; or no such judge, it has no model, or there is nothing (left) to judge',
				schema: apiErrorSchema
			},
			...projectArchived,
			...refused({ ...notFound, ...adminsOnly })
		}
	}
} satisfies Record<string, Operation>;
