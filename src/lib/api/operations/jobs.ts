// Distillation jobs and evaluation runs: started over the API, followed by their progress.
import { z } from 'zod';
import { evaluationSettingsJsonSchema, evaluationSplitsSchema } from '../../schemas/iteration';
import { jobSettingsJsonSchema } from '../../schemas/job';
import { JOB_KINDS, JOB_STATUSES } from '../../server/db/schema';
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

const count = z.number().int();
/** A job's progress, as the jobs list shows it. */
export const jobProgressSchema = z.object({
	id: z.number().int(),
	kind: z.enum(JOB_KINDS),
	status: z.enum(JOB_STATUSES),
	error: z.string().nullable(),
	/** Each model the job calls, with its provider: "name (provider)". */
	models: z.array(z.string()),
	concurrency: z.number().int(),
	counts: z.object({
		pending: count,
		running: count,
		done: count,
		failed: count,
		cancelled: count
	}),
	total: count,
	finished: z
		.number()
		.min(0)
		.max(1)
		.describe('Share of items finished (done, failed or cancelled)'),
	inputTokens: count,
	outputTokens: count,
	cost: z.number(),
	perMinute: z.number().nullable().describe('Items finished per minute; null before the first'),
	etaSeconds: z.number().nullable().describe('Seconds left at that rate; null when unknown'),
	createdAt: timestamp,
	startedAt: timestamp.nullable(),
	finishedAt: timestamp.nullable()
});

const modelIds = z
	.array(z.number().int().positive(), 'Give modelIds as a list of model ids.')
	.min(1, 'Give at least one model id.');

/** A distillation job: the teachers, the inputs, how they are called, and a judge to follow. */
export const startJobBodySchema = z.object({
	modelIds,
	inputs: z
		.array(z.string().trim().min(1, 'An input cannot be empty.'), 'Give inputs as a list of texts.')
		.min(1, 'Give at least one input.')
		.max(100_000, 'Start at most 100,000 inputs at a time.'),
	settings: jobSettingsJsonSchema,
	judgeId: z
		.number('Give judgeId as a judge’s id.')
		.int()
		.positive()
		.nullish()
		.describe('A judge of the project that judges each output as it arrives')
});

/** An evaluation run: each model answers the dataset's inputs in the given splits. */
export const startEvaluationBodySchema = z.object({
	modelIds: modelIds.max(8, 'Evaluate at most 8 models at once.'),
	datasetId: z.number('Give the datasetId whose inputs to use.').int().positive(),
	splits: evaluationSplitsSchema.default(['test']),
	settings: evaluationSettingsJsonSchema
});

const started = (what: string) => ({
	201: {
		description: `${what} started; follow it at /jobs/{jobId}`,
		schema: z.object({ id: z.number().int() })
	}
});

export const JOB_OPERATIONS = {
	listJobs: {
		method: 'get',
		path: '/projects/{id}/jobs',
		summary: 'Jobs of every kind and their progress, newest first, a hundred at most (admins)',
		access: 'admin',
		params: projectPath,
		responses: {
			200: { description: 'The jobs', schema: z.object({ jobs: z.array(jobProgressSchema) }) },
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	startJob: {
		method: 'post',
		path: '/projects/{id}/jobs',
		summary: 'Starts a distillation job over the given inputs (admins)',
		access: 'admin',
		params: projectPath,
		body: startJobBodySchema,
		responses: {
			...started('The job'),
			400: {
				description:
					'The body or its settings break a rule (the settings’ problems answered on their own), or a model or judge is not one',
				schema: apiErrorSchema
			},
			...projectArchived,
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	getJob: {
		method: 'get',
		path: '/projects/{id}/jobs/{jobId}',
		summary: 'A job’s progress: counts, tokens, cost, rate and time left (admins)',
		access: 'admin',
		params: projectPath.extend({ jobId: z.coerce.number().int().positive() }),
		responses: {
			200: { description: 'Its progress', schema: jobProgressSchema },
			...refused({
				404: { description: 'No such project, or no such job in it', schema: apiErrorSchema },
				...adminsOnly
			})
		}
	},
	listEvaluations: {
		method: 'get',
		path: '/projects/{id}/evaluations',
		summary: 'Evaluation runs and their progress, among the hundred newest jobs (admins)',
		access: 'admin',
		params: projectPath,
		responses: {
			200: {
				description: 'The evaluation runs',
				schema: z.object({
					evaluations: z.array(jobProgressSchema.extend({ kind: z.literal('evaluation') }))
				})
			},
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	startEvaluation: {
		method: 'post',
		path: '/projects/{id}/evaluations',
		summary: 'Evaluates models on a dataset’s inputs, by default its test split (admins)',
		access: 'admin',
		params: projectPath,
		body: startEvaluationBodySchema,
		responses: {
			...started('The evaluation run (a job)'),
			400: {
				description:
					'The body or its settings break a rule, a model or the dataset is not one, or the splits hold no input',
				schema: apiErrorSchema
			},
			...projectArchived,
			...refused({ ...notFound, ...adminsOnly })
		}
	}
} satisfies Record<string, Operation>;
