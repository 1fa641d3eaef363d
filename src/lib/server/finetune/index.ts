import { and, asc, desc, eq, inArray, type SQL } from 'drizzle-orm';
import type { Db, Queryable } from '../db';
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
import { openAiAdapter, type FineTuneAdapter, type Hyperparameters } from './adapter';
import { describeProviderError } from '../providers/errors';
import type { fineTuneFormSchema } from '../../schemas/dataset';
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
	adapter: 'openai' | 'together';
	providerId: number;
	baseModel: string;
	suffix: string | null;
	hyperparameters: Hyperparameters;
};

/** The fine-tune form's fields as a spec. */
export function fineTuneSpecOf(form: z.infer<typeof fineTuneFormSchema>): FineTuneSpec {
	const { adapter, providerId, baseModel, suffix, ...hyperparameters } = form;
	return { adapter, providerId, baseModel, suffix, hyperparameters };
}

export async function adapterFor(
	db: Db,
	key: SecretKey,
	found: FineTune
): Promise<FineTuneAdapter | null> {
	if (found.providerId === null) return null;
	const owner = db.select().from(provider).where(eq(provider.id, found.providerId)).get();
	if (!owner) return null;
	if (found.adapter === 'together') {
		const apiKey = owner.apiKeyEncrypted ? decryptSecret(key, owner.apiKeyEncrypted) : null;
		return togetherAdapter(apiKey ?? 'no-key', owner.baseUrl);
	}
	// No retries inside the client: a create retried after a lost answer could start a second
	// paid job. The follower asks again next round instead.
	return openAiAdapter(clientFor(owner, key, { timeoutMs: 300_000, maxRetries: 0 }));
}

export function startFineTune(
	db: Queryable,
	target: Project,
	datasetId: number,
	spec: FineTuneSpec,
	userId: string,
	now = new Date()
): { ok: true; fineTuneId: number } | { ok: false; message: string } {
	const frozen = db
		.select()
		.from(dataset)
		.where(
			and(eq(dataset.id, datasetId), eq(dataset.projectId, target.id), eq(dataset.state, 'frozen'))
		)
		.get();
	if (!frozen) return { ok: false, message: 'No such dataset in this project.' };
	if (frozen.trainCount === 0) {
		return { ok: false, message: 'This dataset has no training examples to fine-tune on.' };
	}
	if (
		!db.select({ id: provider.id }).from(provider).where(eq(provider.id, spec.providerId)).get()
	) {
		return { ok: false, message: 'That provider no longer exists.' };
	}
	const created = db
		.insert(fineTune)
		.values({
			projectId: target.id,
			datasetId,
			providerId: spec.providerId,
			adapter: spec.adapter,
			baseModel: spec.baseModel,
			hyperparameters: JSON.stringify({ ...spec.hyperparameters, suffix: spec.suffix }),
			status: 'pending',
			createdBy: userId,
			createdAt: now
		})
		.returning({ id: fineTune.id })
		.get();
	return { ok: true, fineTuneId: created.id };
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

export function listFineTunes(db: Db, projectId: number) {
	return fineTuneRows(db, eq(fineTune.projectId, projectId)).all();
}

export function getFineTune(db: Db, projectId: number, fineTuneId: number) {
	return fineTuneRows(
		db,
		and(eq(fineTune.projectId, projectId), eq(fineTune.id, fineTuneId))
	).get();
}

export function fineTuneEvents(db: Db, fineTuneId: number) {
	return db
		.select()
		.from(fineTuneEvent)
		.where(eq(fineTuneEvent.fineTuneId, fineTuneId))
		.orderBy(asc(fineTuneEvent.createdAt), asc(fineTuneEvent.id))
		.all();
}

/** Asks the provider to stop the job (when there is one yet) and marks the fine-tune cancelled. */
export async function cancelFineTune(
	db: Db,
	key: SecretKey,
	projectId: number,
	fineTuneId: number,
	now = new Date()
): Promise<{ ok: true } | { ok: false; message: string }> {
	const found = db
		.select()
		.from(fineTune)
		.where(and(eq(fineTune.id, fineTuneId), eq(fineTune.projectId, projectId)))
		.get();
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
				return { ok: false, message: describeProviderError(e, '') };
			}
		}
	}
	db.update(fineTune)
		.set({ status: 'cancelled', finishedAt: now })
		.where(and(eq(fineTune.id, fineTuneId), inArray(fineTune.status, ACTIVE_STATUSES)))
		.run();
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
export function registerServedModel(
	db: Queryable,
	key: SecretKey,
	target: Project,
	datasetId: number,
	served: ServedModel,
	userId: string,
	now = new Date()
): { ok: true; fineTuneId: number; modelId: number } | { ok: false; message: string } {
	const frozen = db
		.select({ id: dataset.id, name: dataset.name })
		.from(dataset)
		.where(
			and(eq(dataset.id, datasetId), eq(dataset.projectId, target.id), eq(dataset.state, 'frozen'))
		)
		.get();
	if (!frozen) return { ok: false, message: 'No such dataset in this project.' };
	return db.transaction((tx) => {
		const server = tx
			.insert(provider)
			.values({
				name: `Own GPUs (${new URL(served.baseUrl).host})`,
				baseUrl: served.baseUrl,
				apiKeyEncrypted: served.apiKey ? encryptSecret(key, served.apiKey) : null,
				createdAt: now
			})
			.returning({ id: provider.id })
			.get();
		const tune = tx
			.insert(fineTune)
			.values({
				projectId: target.id,
				datasetId,
				providerId: server.id,
				adapter: 'bundle',
				baseModel: served.baseModel,
				status: 'succeeded',
				createdBy: userId,
				createdAt: now,
				finishedAt: now
			})
			.returning({ id: fineTune.id })
			.get();
		const made = tx
			.insert(model)
			.values({
				providerId: server.id,
				name: served.modelName,
				fineTuneId: tune.id,
				createdAt: now
			})
			.returning({ id: model.id })
			.get();
		tx.update(fineTune).set({ resultModelId: made.id }).where(eq(fineTune.id, tune.id)).run();
		tx.insert(fineTuneEvent)
			.values({
				fineTuneId: tune.id,
				message: `Trained on own GPUs from the bundle of “${frozen.name}”; served at ${served.baseUrl}`,
				createdAt: now
			})
			.run();
		return { ok: true, fineTuneId: tune.id, modelId: made.id } as const;
	});
}
