import { and, asc, count, eq, inArray } from 'drizzle-orm';
import OpenAI from 'openai';
import { dialectOf, type Db, type Queryable, type Tx } from '../db';
import {
	fineTune,
	job,
	jobItem,
	model,
	provider,
	revision,
	type Model,
	type Provider
} from '../db/schema';
import { decryptSecret, encryptSecret, type SecretKey } from '../secrets';
import type { ModelInput, ProviderInput } from '../../schemas/provider';
import { describeProviderError } from './errors';
import { redactingFetch } from './redact';
import { listRetirements, retirementOf } from '../finetune/retirement';

// Providers are OpenAI-compatible endpoints; every call to one goes through the official
// `openai` client. Keys are stored sealed and are opened only here, to build a client.

/** A provider as pages see it: whether a key is set, never the key. */
export type ProviderSummary = {
	id: number;
	name: string;
	baseUrl: string;
	hasKey: boolean;
	accountId: string | null;
	requestsPerMinute: number | null;
	tokensPerMinute: number | null;
	models: Model[];
};

export async function createProvider(
	db: Db,
	key: SecretKey,
	input: Omit<ProviderInput, 'accountId'> & { accountId?: string | null },
	now = new Date()
) {
	return (
		await db.transaction(async (tx) =>
			tx
				.insert(provider)
				.values({
					name: input.name,
					baseUrl: input.baseUrl,
					apiKeyEncrypted: input.apiKey ? encryptSecret(key, input.apiKey) : null,
					accountId: input.accountId ?? null,
					requestsPerMinute: input.requestsPerMinute,
					tokensPerMinute: input.tokensPerMinute,
					createdAt: now
				})
				.returning({ id: provider.id })
		)
	)[0];
}

export type RemoveResult = { ok: true } | { ok: false; status: 404 | 409; message: string };

/** How many outputs these models wrote: such models are kept, so every output's origin is known. */
async function outputsBy(db: Queryable, modelIds: number[]): Promise<number> {
	if (modelIds.length === 0) return 0;
	return (
		(
			await db
				.select({ n: count() })
				.from(revision)
				.where(inArray(revision.authorModelId, modelIds))
				.limit(1)
		)[0]?.n ?? 0
	);
}

/** Why these models (or the provider's fine-tunes) are busy now, or null when they are not. */
async function busyWith(
	db: Queryable,
	modelIds: number[],
	providerId: number | null
): Promise<string | null> {
	const items = modelIds.length
		? ((
				await db
					.select({ n: count() })
					.from(jobItem)
					.where(
						and(inArray(jobItem.modelId, modelIds), inArray(jobItem.status, ['pending', 'running']))
					)
					.limit(1)
			)[0]?.n ?? 0)
		: 0;
	if (items > 0) return `A job still has ${items} item(s) for it; cancel or finish the job first.`;
	const tunes =
		providerId === null
			? 0
			: ((
					await db
						.select({ n: count() })
						.from(fineTune)
						.where(
							and(
								eq(fineTune.providerId, providerId),
								inArray(fineTune.status, [
									'pending',
									'uploading',
									'validating',
									'queued',
									'running'
								])
							)
						)
						.limit(1)
				)[0]?.n ?? 0);
	return tunes > 0 ? `${tunes} fine-tune(s) there are still running; cancel them first.` : null;
}

/**
 * Deletes models that wrote nothing; the finished or cancelled job items that named them keep
 * their record without the model (the column's own ON DELETE is missing from its migration).
 */
async function forgetModels(tx: Tx, modelIds: number[]) {
	if (modelIds.length === 0) return;
	await tx.update(jobItem).set({ modelId: null }).where(inArray(jobItem.modelId, modelIds));
	await tx.update(job).set({ modelId: null }).where(inArray(job.modelId, modelIds));
	await tx.delete(model).where(inArray(model.id, modelIds));
}

export async function deleteProvider(db: Db, providerId: number): Promise<RemoveResult> {
	return await db.transaction(async (tx) => {
		if (
			!(
				await tx
					.select({ id: provider.id })
					.from(provider)
					.where(eq(provider.id, providerId))
					.limit(1)
			)[0]
		) {
			return { ok: false, status: 404, message: 'No such provider.' } as const;
		}
		const ids = (
			await tx.select({ id: model.id }).from(model).where(eq(model.providerId, providerId))
		).map((m) => m.id);
		const busy = await busyWith(tx, ids, providerId);
		if (busy) return { ok: false, status: 409, message: busy } as const;
		const written = await outputsBy(tx, ids);
		if (written > 0) {
			return {
				ok: false,
				status: 409,
				message: `Its models wrote ${written} output(s); the provider is kept so their origin stays known.`
			} as const;
		}
		await forgetModels(tx, ids);
		await tx.delete(provider).where(eq(provider.id, providerId));
		return { ok: true } as const;
	});
}

export async function listProviders(db: Db): Promise<ProviderSummary[]> {
	const providers = await db
		.select()
		.from(provider)
		.orderBy(asc(dialectOf(db).byCodePoint(provider.name)));
	const models = await db
		.select()
		.from(model)
		.orderBy(asc(dialectOf(db).byCodePoint(model.name)));
	return providers.map((p) => ({
		id: p.id,
		name: p.name,
		baseUrl: p.baseUrl,
		hasKey: p.apiKeyEncrypted !== null,
		accountId: p.accountId,
		requestsPerMinute: p.requestsPerMinute,
		tokensPerMinute: p.tokensPerMinute,
		models: models.filter((m) => m.providerId === p.id)
	}));
}

export async function getProvider(db: Db, providerId: number): Promise<Provider | undefined> {
	return (await db.select().from(provider).where(eq(provider.id, providerId)).limit(1))[0];
}

export type ModelChoice = { id: number; label: string; providerId: number };

/** How pages name a model: with its provider, since two providers may serve one model id. */
export function modelLabel(modelName: string, providerName: string): string {
	return `${modelName} (${providerName})`;
}

/** Every model, named with its provider, for the pages where a model is chosen. */
/**
 * The models that can be chosen for new work, by provider. A retired model, or a student whose
 * base model was retired, is left out; its outputs and history stay.
 */
export async function modelChoices(db: Db, now = new Date()): Promise<ModelChoice[]> {
	const retirements = await listRetirements(db);
	return (
		await db
			.select({
				id: model.id,
				name: model.name,
				providerId: model.providerId,
				provider: provider.name,
				baseModel: fineTune.baseModel
			})
			.from(model)
			.innerJoin(provider, eq(provider.id, model.providerId))
			.leftJoin(fineTune, eq(fineTune.id, model.fineTuneId))
			.orderBy(
				asc(dialectOf(db).byCodePoint(provider.name)),
				asc(dialectOf(db).byCodePoint(model.name))
			)
	)
		.filter((m) =>
			[m.name, m.baseModel].every(
				(name) => name === null || retirementOf(retirements, name, now)?.state !== 'retired'
			)
		)
		.map((m) => ({ id: m.id, label: modelLabel(m.name, m.provider), providerId: m.providerId }));
}

/** The ids among `ids` that name no model, to refuse before anything is written. */
export async function missingModelIds(db: Queryable, ids: number[]): Promise<number[]> {
	if (ids.length === 0) return [];
	const found = new Set(
		(await db.select({ id: model.id }).from(model).where(inArray(model.id, ids))).map((m) => m.id)
	);
	return ids.filter((id) => !found.has(id));
}

export async function addModel(db: Db, providerId: number, input: ModelInput, now = new Date()) {
	return (
		await db.transaction(async (tx) =>
			tx
				.insert(model)
				.values({ providerId, ...input, createdAt: now })
				.onConflictDoUpdate({
					target: [model.providerId, model.name],
					set: {
						inputPricePerMTok: input.inputPricePerMTok,
						outputPricePerMTok: input.outputPricePerMTok
					}
				})
				.returning({ id: model.id })
		)
	)[0];
}

export async function deleteModel(
	db: Db,
	providerId: number,
	modelId: number
): Promise<RemoveResult> {
	// Checked in the transaction that deletes, so a job started meanwhile cannot slip in.
	return await db.transaction(async (tx) => {
		const found = (
			await tx
				.select({ id: model.id })
				.from(model)
				.where(and(eq(model.id, modelId), eq(model.providerId, providerId)))
				.limit(1)
		)[0];
		if (!found) return { ok: false, status: 404, message: 'No such model.' } as const;
		const busy = await busyWith(tx, [modelId], null);
		if (busy) return { ok: false, status: 409, message: busy } as const;
		const written = await outputsBy(tx, [modelId]);
		if (written > 0) {
			return {
				ok: false,
				status: 409,
				message: `This model wrote ${written} output(s); it is kept so their origin stays known.`
			} as const;
		}
		await forgetModels(tx, [modelId]);
		return { ok: true } as const;
	});
}

export type ClientOptions = {
	timeoutMs?: number;
	/** The client's own retries: none for the job runner, which retries by itself. */
	maxRetries?: number;
};

/**
 * The `openai` client for a provider. It never retries by itself: the job runner decides
 * when to retry, so that Retry-After, backoff and the rate limits are applied in one place.
 */
export function clientFor(
	found: Pick<Provider, 'baseUrl' | 'apiKeyEncrypted'>,
	key: SecretKey,
	{ timeoutMs = 120_000, maxRetries = 0 }: ClientOptions = {}
): OpenAI {
	const apiKey = found.apiKeyEncrypted ? decryptSecret(key, found.apiKeyEncrypted) : null;
	return new OpenAI({
		// Local servers need no key, but the client wants one; this one is never sent anywhere real.
		apiKey: apiKey ?? 'no-key',
		baseURL: found.baseUrl,
		maxRetries,
		timeout: timeoutMs,
		fetch: redactingFetch(apiKey)
	});
}

/** A model with its provider's client, for one-off calls made while an admin waits. */
export async function modelClient(
	db: Db,
	key: SecretKey,
	modelId: number,
	options: ClientOptions = {}
) {
	const found = (
		await db
			.select({ model, provider })
			.from(model)
			.innerJoin(provider, eq(provider.id, model.providerId))
			.where(eq(model.id, modelId))
			.limit(1)
	)[0];
	if (!found) return null;
	return {
		model: found.model,
		provider: found.provider,
		client: clientFor(found.provider, key, options)
	};
}

/** Asks the provider for its models: proof that the URL and the key work. */
export async function testConnection(
	db: Db,
	key: SecretKey,
	providerId: number
): Promise<{ ok: true; models: string[] } | { ok: false; message: string }> {
	const found = await getProvider(db, providerId);
	if (!found) return { ok: false, message: 'No such provider.' };
	if (found.apiKeyEncrypted && decryptSecret(key, found.apiKeyEncrypted) === null) {
		return {
			ok: false,
			message:
				'The stored key cannot be opened with this server’s secret (WINNOW_SECRET changed?). Enter the key again.'
		};
	}
	try {
		const page = await clientFor(found, key, { timeoutMs: 15_000 }).models.list();
		return { ok: true, models: page.data.map((m) => m.id).sort() };
	} catch (e) {
		return { ok: false, message: describeProviderError(e, found.baseUrl) };
	}
}
