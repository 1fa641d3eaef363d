// Fine-tunes: a frozen dataset sent to a provider's fine-tuning, followed to the model it makes.
import { z } from 'zod';
import { fineTuneJsonSchema, HF_FLAVORS } from '../../schemas/dataset';
import { FINE_TUNE_ADAPTERS, FINE_TUNE_METHODS, FINE_TUNE_STATUSES } from '../../server/db/schema';
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

const setting = z.number().nullable().optional();

/**
 * The settings it was sent with, null where the provider chose; a fine-tune made before a
 * setting existed lacks it, and one trained on one's own GPUs has none.
 */
const hyperparametersSchema = z.object({
	epochs: setting,
	batchSize: setting,
	learningRateMultiplier: setting,
	learningRate: setting,
	loraRank: setting,
	maxContextLength: setting,
	beta: setting,
	flavor: z.enum(HF_FLAVORS).nullable().optional(),
	timeoutHours: setting,
	fromCheckpoint: z.string().nullable().optional(),
	suffix: z.string().nullable().optional()
});

/** A fine-tune as listed: its row, its settings, and the names of what it is tied to. */
export const fineTuneSchema = z.object({
	id: z.number().int(),
	projectId: z.number().int(),
	datasetId: z.number().int(),
	providerId: z.number().int().nullable(),
	/** `bundle`: trained on one's own GPUs and registered by the URL its model is served at. */
	adapter: z.enum(FINE_TUNE_ADAPTERS),
	method: z.enum(FINE_TUNE_METHODS),
	baseModel: z.string(),
	hyperparameters: hyperparametersSchema,
	trainingFileId: z.string().nullable(),
	validationFileId: z.string().nullable(),
	externalJobId: z.string().nullable(),
	pushedTo: z.string().nullable(),
	launchOwner: z.string().nullable(),
	launchExpiresAt: timestamp.nullable(),
	launchAttemptedAt: timestamp.nullable(),
	status: z.enum(FINE_TUNE_STATUSES),
	resultModelId: z.number().int().nullable(),
	error: z.string().nullable(),
	createdBy: z.string().nullable(),
	createdAt: timestamp,
	finishedAt: timestamp.nullable(),
	datasetName: z.string(),
	providerName: z.string().nullable(),
	/** The fine-tuned model's name, once there is one. */
	resultModel: z.string().nullable()
});

const fineTuneEventSchema = z.object({
	id: z.number().int(),
	fineTuneId: z.number().int(),
	externalId: z.string().nullable(),
	level: z.string(),
	message: z.string(),
	createdAt: timestamp
});

export const fineTuneStartSchema = z.object({
	datasetId: z.number('Give the datasetId to fine-tune on.').int().positive(),
	fineTune: fineTuneJsonSchema
});

const fineTunePath = projectPath.extend({ fineTuneId: z.coerce.number().int().positive() });

export const FINE_TUNE_OPERATIONS = {
	listFineTunes: {
		method: 'get',
		path: '/projects/{id}/fine-tunes',
		summary: 'Fine-tunes and their status, newest first (admins)',
		access: 'admin',
		params: projectPath,
		responses: {
			200: {
				description: 'The fine-tunes',
				schema: z.object({ fineTunes: z.array(fineTuneSchema) })
			},
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	startFineTune: {
		method: 'post',
		path: '/projects/{id}/fine-tunes',
		summary: 'Sends a frozen dataset to a provider’s fine-tuning; the server follows it (admins)',
		access: 'admin',
		params: projectPath,
		body: fineTuneStartSchema,
		responses: {
			201: { description: 'Started', schema: z.object({ id: z.number().int() }) },
			400: {
				description:
					'Not JSON; a field breaks a rule (keyed as the form keys it); or the dataset, provider or base model cannot be trained on, and why. Nothing was started.',
				schema: apiErrorSchema
			},
			...projectArchived,
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	getFineTune: {
		method: 'get',
		path: '/projects/{id}/fine-tunes/{fineTuneId}',
		summary: 'One fine-tune with the provider’s events and the model it made (admins)',
		access: 'admin',
		params: fineTunePath,
		responses: {
			200: {
				description: 'The fine-tune, with its events oldest first',
				schema: fineTuneSchema.extend({ events: z.array(fineTuneEventSchema) })
			},
			...refused({
				404: { description: 'No such project, or no such fine-tune in it', schema: apiErrorSchema },
				...adminsOnly
			})
		}
	}
} satisfies Record<string, Operation>;
