import { and, asc, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { within, type Db, type Queryable, type Tx } from '../db';
import {
	dataset,
	fineTune,
	fineTuneEvent,
	model,
	provider,
	type FineTune,
	type Project
} from '../db/schema';
import { clientFor } from '../providers';
import { decryptSecret, encryptSecret, type SecretKey } from '../secrets';
import { togetherAdapter } from './together';
import { exportFiles } from '../datasets/export';
import { getDataset } from '../datasets';
import { requireOpenProject } from '../projects';
import { fileRefusals } from './limits';
import { fireworksAdapter, type FireworksOptions } from './fireworks';
import { hfJobsAdapter } from './hfJobs';
import {
	describeRetirement,
	listRetirements,
	OPENAI_FINE_TUNING_ENDS,
	retirementOf
} from './retirement';
import {
	isOpenAiItself,
	OPENAI_FINE_TUNING_ENDED,
	openAiAdapter,
	type FineTuneAdapter,
	type Hyperparameters
} from './adapter';
import { describeProviderError } from '../providers/errors';
import { queueIterationEvaluation } from '../iterations';
import type { FINE_TUNE_SERVICES, fineTuneFormSchema } from '../../schemas/dataset';
import type { z } from 'zod';

// Fine-tunes: a frozen dataset, a base model and a provider, followed in the background by
// FineTuneFollower until the provider says it succeeded, failed or was cancelled. The model it
// makes is registered as a model of its provider, naming the fine-tune (and so the dataset)
// it came from.

export const ACTIVE_STATUSES: FineTune['status'][] = [
	'pending',
	'uploading',
	'validating',
	'queued',
	'running'
];

export type FineTuneSpec = {
	adapter: (typeof FINE_TUNE_SERVICES)[number];
	/** Supervised unless given. */
	method?: FineTune['method'];
	providerId: number;
	baseModel: string;
	suffix: string | null;
	hyperparameters: Hyperparameters;
};

/** The fine-tune form's fields as a spec. */
export function fineTuneSpecOf(form: z.infer<typeof fineTuneFormSchema>): FineTuneSpec {
	const { adapter, method, providerId, baseModel, suffix, ...hyperparameters } = form;
	return { adapter, method, providerId, baseModel, suffix, hyperparameters };
}

export async function adapterFor(
	db: Db,
	key: SecretKey,
	found: FineTune,
	options: { fireworks?: FireworksOptions; now?: () => Date } = {}
): Promise<(FineTuneAdapter & { baseUrl: string }) | null> {
	if (found.providerId === null) return null;
	const owner = (
		await db.select().from(provider).where(eq(provider.id, found.providerId)).limit(1)
	)[0];
	if (!owner) return null;
	const apiKey = owner.apiKeyEncrypted ? decryptSecret(key, owner.apiKeyEncrypted) : null;
	// The provider's address goes with it, for messages about reaching it.
	const made = (): FineTuneAdapter => {
		if (found.adapter === 'together') return togetherAdapter(apiKey ?? 'no-key', owner.baseUrl);
		if (found.adapter === 'hf_jobs') return hfJobsAdapter(apiKey ?? 'no-key', owner.baseUrl);
		if (found.adapter === 'fireworks') {
			return fireworksAdapter(
				apiKey ?? 'no-key',
				owner.baseUrl,
				owner.accountId,
				options.fireworks
			);
		}
		// No retries inside the client: a create retried after a lost answer could start a
		// second paid job. The follower asks again next round instead.
		return openAiAdapter(clientFor(owner, key, { timeoutMs: 300_000, maxRetries: 0 }), options.now);
	};
	return { ...made(), baseUrl: owner.baseUrl };
}

export async function startFineTune(
	db: Db | Tx,
	target: Project,
	datasetId: number,
	spec: FineTuneSpec,
	userId: string,
	now = new Date()
): Promise<
	| { ok: true; fineTuneId: number }
	| { ok: false; message: string; field?: 'adapter' | 'method' | 'baseModel' }
> {
	// Read before the write transaction, as a frozen dataset never changes.
	const refused = await countRefusal(db, target, datasetId, spec);
	if (refused) {
		return { ok: false, field: spec.method === 'dpo' ? 'method' : 'adapter', message: refused };
	}
	return within(db, async (tx) => {
		await requireOpenProject(tx, target.id);
		const frozen = await getDataset(tx, target.id, datasetId);
		if (!frozen) return { ok: false, message: 'No such dataset in this project.' };
		if (frozen.trainCount === 0) {
			return { ok: false, message: 'This dataset has no training examples to fine-tune on.' };
		}
		const service = (
			await tx
				.select({ baseUrl: provider.baseUrl })
				.from(provider)
				.where(eq(provider.id, spec.providerId))
				.limit(1)
		)[0];
		if (!service) return { ok: false, message: 'That provider no longer exists.' };
		const refusal = await refusalOf(tx, spec.adapter, service.baseUrl, spec.baseModel, now);
		if (refusal) return { ok: false, ...refusal };
		const created = (
			await tx
				.insert(fineTune)
				.values({
					projectId: target.id,
					datasetId,
					providerId: spec.providerId,
					adapter: spec.adapter,
					method: spec.method ?? 'supervised',
					baseModel: spec.baseModel,
					hyperparameters: JSON.stringify({ ...spec.hyperparameters, suffix: spec.suffix }),
					status: 'pending',
					createdBy: userId,
					createdAt: now
				})
				.returning({ id: fineTune.id })
		)[0];
		return { ok: true, fineTuneId: created.id };
	});
}

/**
 * Why the service would refuse the dataset's files, judged from their counts before anything
 * is uploaded: too few examples (or preference pairs) or too many, or a method it does not
 * run. Null when it can go (or when there is no such dataset, which the transaction then says).
 * A file's size is known only once it is written, so the follower checks that before it sends.
 */
async function countRefusal(
	db: Queryable,
	target: Project,
	datasetId: number,
	spec: Pick<FineTuneSpec, 'adapter' | 'method'>
): Promise<string | null> {
	const frozen = await getDataset(db, target.id, datasetId);
	const method = spec.method ?? 'supervised';
	// An empty training split is the transaction's to refuse, in its own words.
	if (!frozen || (method === 'supervised' && frozen.trainCount === 0)) return null;
	// Counting preference pairs reads every repair; a supervised file's lines are the counts.
	const files =
		method === 'dpo' ? await exportFiles(db, frozen) : { train: { pairs: 0 }, val: { pairs: 0 } };
	const lines = (split: 'train' | 'val') =>
		method === 'dpo' ? files[split].pairs : split === 'train' ? frozen.trainCount : frozen.valCount;
	const refusals = fileRefusals(spec.adapter, method, {
		train: { lines: lines('train') },
		val: { lines: lines('val') }
	});
	return refusals.length > 0 ? refusals.join(' ') : null;
}

/**
 * Why a fine-tune cannot be started now, beside the field that would have to change: its base
 * model was retired, or it would be a new job on OpenAI's own fine-tuning after its end.
 */
export async function refusalOf(
	db: Queryable,
	adapter: FineTune['adapter'],
	baseUrl: string,
	baseModel: string,
	now: Date
): Promise<{ field: 'adapter' | 'baseModel'; message: string } | null> {
	const retirement = retirementOf(await listRetirements(db), baseModel, now);
	if (retirement?.state === 'retired') {
		return {
			field: 'baseModel',
			message: `${describeRetirement(baseModel, retirement)} Choose another base model.`
		};
	}
	if (adapter === 'openai' && isOpenAiItself(baseUrl) && now >= OPENAI_FINE_TUNING_ENDS) {
		return { field: 'adapter', message: OPENAI_FINE_TUNING_ENDED };
	}
	return null;
}

function fineTuneRows(db: Db, where: SQL | undefined) {
	return db
		.select({
			fineTune,
			datasetName: dataset.name,
			providerName: provider.name,
			resultModel: model.name
		})
		.from(fineTune)
		.innerJoin(dataset, eq(dataset.id, fineTune.datasetId))
		.leftJoin(provider, eq(provider.id, fineTune.providerId))
		.leftJoin(model, eq(model.id, fineTune.resultModelId))
		.where(where)
		.orderBy(desc(fineTune.id));
}

export async function listFineTunes(db: Db, projectId: number) {
	return await fineTuneRows(db, eq(fineTune.projectId, projectId));
}

export async function getFineTune(db: Db, projectId: number, fineTuneId: number) {
	return (
		await fineTuneRows(db, and(eq(fineTune.projectId, projectId), eq(fineTune.id, fineTuneId)))
	)[0];
}

export async function fineTuneEvents(db: Db, fineTuneId: number) {
	return await db
		.select()
		.from(fineTuneEvent)
		.where(eq(fineTuneEvent.fineTuneId, fineTuneId))
		.orderBy(asc(fineTuneEvent.createdAt), asc(fineTuneEvent.id));
}

/** Asks the provider to stop the job (when there is one yet) and marks the fine-tune cancelled. */
export async function cancelFineTune(
	db: Db,
	key: SecretKey,
	projectId: number,
	fineTuneId: number,
	now = new Date()
): Promise<{ ok: true } | { ok: false; message: string }> {
	const found = (
		await db
			.select()
			.from(fineTune)
			.where(and(eq(fineTune.id, fineTuneId), eq(fineTune.projectId, projectId)))
			.limit(1)
	)[0];
	if (!found) return { ok: false, message: 'No such fine-tune in this project.' };
	if (!ACTIVE_STATUSES.includes(found.status)) {
		return { ok: false, message: `A ${found.status} fine-tune cannot be cancelled.` };
	}
	if (found.externalJobId) {
		const adapter = await adapterFor(db, key, found);
		if (adapter) {
			try {
				await adapter.cancel(found.externalJobId);
			} catch (e) {
				return { ok: false, message: describeProviderError(e, adapter.baseUrl) };
			}
		}
	}
	await db.transaction(async (tx) =>
		tx
			.update(fineTune)
			.set({ status: 'cancelled', finishedAt: now })
			.where(and(eq(fineTune.id, fineTuneId), inArray(fineTune.status, ACTIVE_STATUSES)))
	);
	return { ok: true };
}

export type ServedModel = {
	baseUrl: string;
	apiKey: string;
	modelName: string;
	baseModel: string;
};

/**
 * Registers a model trained on one's own GPUs from a dataset's bundle, by the
 * OpenAI-compatible URL it is served at: a provider for the server, the model, and a finished
 * fine-tune of the "bundle" kind that ties the model to the dataset, in one transaction.
 */
export async function registerServedModel(
	db: Db | Tx,
	key: SecretKey,
	target: Project,
	datasetId: number,
	served: ServedModel,
	userId: string,
	now = new Date()
): Promise<{ ok: true; fineTuneId: number; modelId: number } | { ok: false; message: string }> {
	const frozen = (
		await db
			.select({ id: dataset.id, name: dataset.name })
			.from(dataset)
			.where(
				and(
					eq(dataset.id, datasetId),
					eq(dataset.projectId, target.id),
					eq(dataset.state, 'frozen')
				)
			)
			.limit(1)
	)[0];
	if (!frozen) return { ok: false, message: 'No such dataset in this project.' };
	return await within(db, async (tx) => {
		const tune = (
			await tx
				.insert(fineTune)
				.values({
					projectId: target.id,
					datasetId,
					providerId: null,
					adapter: 'bundle',
					baseModel: served.baseModel,
					status: 'succeeded',
					createdBy: userId,
					createdAt: now,
					finishedAt: now
				})
				.returning({ id: fineTune.id })
		)[0];
		const made = await addServedModel(tx, key, tune.id, served, now);
		// A bundle's fine-tune is the server's: there is no other provider.
		await tx.update(fineTune).set({ providerId: made.providerId }).where(eq(fineTune.id, tune.id));
		await tx.insert(fineTuneEvent).values({
			fineTuneId: tune.id,
			message: `Trained on own GPUs from the bundle of “${frozen.name}”; served at ${served.baseUrl}`,
			createdAt: now
		});
		return { ok: true, fineTuneId: tune.id, modelId: made.id } as const;
	});
}

/**
 * A provider for the server a model is served from and the model on it, tied to the fine-tune
 * that trained it, which it becomes the result of.
 */
async function addServedModel(
	tx: Tx,
	key: SecretKey,
	fineTuneId: number,
	served: Omit<ServedModel, 'baseModel'>,
	now: Date
) {
	const server = (
		await tx
			.insert(provider)
			.values({
				name: `Own GPUs (${new URL(served.baseUrl).host})`,
				baseUrl: served.baseUrl,
				apiKeyEncrypted: served.apiKey ? encryptSecret(key, served.apiKey) : null,
				createdAt: now
			})
			.returning({ id: provider.id })
	)[0];
	const made = (
		await tx
			.insert(model)
			.values({ providerId: server.id, name: served.modelName, fineTuneId, createdAt: now })
			.returning({ id: model.id })
	)[0];
	await tx.update(fineTune).set({ resultModelId: made.id }).where(eq(fineTune.id, fineTuneId));
	return { id: made.id, providerId: server.id };
}

/**
 * Registers the model a fine-tune trained but its provider does not serve (a Hugging Face Job
 * pushes an adapter to the Hub) by the OpenAI-compatible URL the team serves it at; a student
 * of an iteration then has its evaluation queued, all in one transaction.
 */
export async function registerServedResult(
	db: Db,
	key: SecretKey,
	target: Project,
	fineTuneId: number,
	served: Omit<ServedModel, 'baseModel'>,
	now = new Date()
): Promise<
	{ ok: true; modelId: number; evaluationJobId: number | null } | { ok: false; message: string }
> {
	return await db.transaction(async (tx) => {
		const found = (
			await tx
				.select()
				.from(fineTune)
				.where(and(eq(fineTune.id, fineTuneId), eq(fineTune.projectId, target.id)))
				.limit(1)
		)[0];
		if (!found) return { ok: false, message: 'No such fine-tune in this project.' };
		if (found.status !== 'succeeded' || found.resultModelId !== null || !found.pushedTo) {
			return {
				ok: false,
				message: 'Only a finished job whose model nobody serves yet is registered here.'
			};
		}
		const made = await addServedModel(tx, key, found.id, served, now);
		await tx.insert(fineTuneEvent).values({
			fineTuneId: found.id,
			message: `${found.pushedTo} served at ${served.baseUrl} as ${served.modelName}`,
			createdAt: now
		});
		const evaluationJobId = await queueIterationEvaluation(tx, found.id, made.id, now);
		return { ok: true, modelId: made.id, evaluationJobId };
	});
}
