import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { and, eq, inArray, isNull, lt, or } from 'drizzle-orm';
import { apart, type Db, changedRows } from '../db';
import { fineTune, fineTuneEvent, model, project, type FineTune } from '../db/schema';
import { checkOpenAiLines, exportChunks, linesOf, measureLines } from '../datasets/export';
import { PROBLEM_LABELS } from '../../schemas/dataset';
import { classifyFailure, describeProviderError } from '../providers/errors';
import type { SecretKey } from '../secrets';
import { ACTIVE_STATUSES, adapterFor } from '.';
import type { FineTuneAdapter, Hyperparameters } from './adapter';
import type { FireworksOptions } from './fireworks';
import { describeRetirement, listRetirements, retirementOf } from './retirement';
import { contextNote, fileRefusals, knownContexts } from './limits';
import { queueIterationEvaluation } from '../iterations';

// Follows fine-tunes in the background: uploads the dataset's files and starts the provider's
// job for a new one, then asks for status and events until it ends. Everything it learns is
// stored, so after a restart it carries on from the database. Where several workers follow
// the same database, one launch lease per fine-tune lets exactly one of them launch it; a
// launch cut short after the provider's job was created finds that job again by its
// training file rather than creating (and paying for) a second one.

export type FollowerOptions = {
	key: SecretKey;
	pollMs?: number;
	now?: () => Date;
	log?: (message: string) => void;
	/** Tells the job runner that an evaluation run was queued for a new student. */
	wakeJobs?: () => void;
	/** This worker's name on the launches it holds; unique to the process by default. */
	workerId?: string;
	/** Settings of the Fireworks adapter (tests lower its direct-upload limit). */
	fireworks?: FireworksOptions;
	/** How long a launch stays this worker's without a renewal; renewed every third of it. */
	launchLeaseMs?: number;
};

/**
 * How long a launch is a worker's without a renewal. The worker renews it while it uploads and
 * creates the job, however long a large upload takes; another may try once a worker that died
 * has been silent this long.
 */
export const LAUNCH_LEASE_MS = 5 * 60_000;

export class FineTuneFollower {
	private timer: ReturnType<typeof setTimeout> | null = null;
	private busy: Promise<void> | null = null;
	private again = false;
	private stopped = true;
	private readonly pollMs: number;
	private readonly launchLeaseMs: number;
	private readonly now: () => Date;
	private readonly log: (message: string) => void;
	readonly workerId: string;

	constructor(
		private readonly db: Db,
		private readonly options: FollowerOptions
	) {
		this.pollMs = options.pollMs ?? 10_000;
		this.launchLeaseMs = options.launchLeaseMs ?? LAUNCH_LEASE_MS;
		this.now = options.now ?? (() => new Date());
		this.log = options.log ?? (() => {});
		this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
	}

	start() {
		this.stopped = false;
		this.wake();
	}

	async stop() {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		await this.busy;
	}

	/** Look now: a fine-tune was started or cancelled. */
	wake() {
		if (this.stopped) return;
		if (this.busy) {
			this.again = true;
			return;
		}
		if (this.timer) clearTimeout(this.timer);
		this.busy = apart(() => this.round())
			.catch((e) => this.log(`fine-tunes: ${(e as Error).message}`))
			.finally(() => {
				this.busy = null;
				if (this.stopped) return;
				if (this.again) {
					this.again = false;
					this.wake();
					return;
				}
				this.timer = setTimeout(() => this.wake(), this.pollMs);
				this.timer.unref?.();
			});
	}

	private async round() {
		const active = await this.db
			.select()
			.from(fineTune)
			.where(inArray(fineTune.status, ACTIVE_STATUSES));
		for (const found of active) {
			if (this.stopped) return;
			try {
				await this.step(found);
			} catch (e) {
				// The database away: the next round tries again.
				this.log(`fine-tune ${found.id}: ${(e as Error).message}`);
			}
		}
	}

	/** Writes only while the fine-tune is still active: a cancel always wins. */
	private async setIfActive(id: number, values: Partial<FineTune>): Promise<boolean> {
		return (
			(await changedRows(
				this.db.transaction(async (tx) =>
					tx
						.update(fineTune)
						.set(values)
						.where(and(eq(fineTune.id, id), inArray(fineTune.status, ACTIVE_STATUSES)))
				)
			)) > 0
		);
	}

	private async fail(found: FineTune, message: string) {
		await this.setIfActive(found.id, { status: 'failed', error: message, finishedAt: this.now() });
	}

	/** Winnow's own word on the fine-tune's page, once however often a launch is tried. */
	private async note(found: FineTune, key: string, message: string) {
		await this.db.transaction(async (tx) =>
			tx
				.insert(fineTuneEvent)
				.values({
					fineTuneId: found.id,
					externalId: `winnow:${key}`,
					level: 'warning',
					message,
					createdAt: this.now()
				})
				.onConflictDoNothing()
		);
	}

	private async step(found: FineTune) {
		const adapter = await adapterFor(this.db, this.options.key, found, {
			fireworks: this.options.fireworks,
			now: this.now
		});
		if (!adapter) {
			await this.fail(found, 'The provider of this fine-tune was removed.');
			return;
		}
		try {
			await this.advance(found, adapter);
		} catch (e) {
			// A provider that cannot be reached now is asked again next round.
			this.log(`fine-tune ${found.id}: ${describeProviderError(e, adapter.baseUrl)}`);
		}
	}

	/** Launches the fine-tune, or follows its job at the provider one step. */
	private async advance(found: FineTune, adapter: FineTuneAdapter & { baseUrl: string }) {
		if (!found.externalJobId) {
			if (!(await this.takeLaunch(found.id))) return;
			const renewal = setInterval(
				() => void this.renewLaunch(found.id).catch(() => {}),
				Math.max(1, this.launchLeaseMs / 3)
			);
			try {
				await this.launch(found, adapter);
			} finally {
				clearInterval(renewal);
				await this.db.transaction(async (tx) =>
					tx
						.update(fineTune)
						.set({ launchOwner: null, launchExpiresAt: null })
						.where(and(eq(fineTune.id, found.id), eq(fineTune.launchOwner, this.workerId)))
				);
			}
			return;
		}
		const status = await adapter.status(found.externalJobId);
		const events = await adapter.events(found.externalJobId);
		const queued = await this.db.transaction(async (tx) => {
			for (const event of events) {
				await tx
					.insert(fineTuneEvent)
					.values({ fineTuneId: found.id, ...event })
					.onConflictDoNothing();
			}
			const ended = ['succeeded', 'failed', 'cancelled'].includes(status.status);
			let resultModelId = found.resultModelId;
			if (status.status === 'succeeded' && status.resultModel && resultModelId === null) {
				// The new model joins its provider's models, everywhere a model is chosen.
				resultModelId = (
					await tx
						.insert(model)
						.values({
							providerId: found.providerId!,
							name: status.resultModel,
							fineTuneId: found.id,
							createdAt: this.now()
						})
						.onConflictDoUpdate({
							target: [model.providerId, model.name],
							set: { fineTuneId: found.id }
						})
						.returning({ id: model.id })
				)[0].id;
			}
			const written = await changedRows(
				tx
					.update(fineTune)
					.set({
						status: status.status,
						error: status.error,
						resultModelId,
						...(status.pushedTo ? { pushedTo: status.pushedTo } : {}),
						...(ended ? { finishedAt: this.now() } : {})
					})
					.where(and(eq(fineTune.id, found.id), inArray(fineTune.status, ACTIVE_STATUSES)))
			);
			// The loop goes on by itself: a student made for an iteration is evaluated at once.
			if (written > 0 && status.status === 'succeeded' && resultModelId !== null) {
				return queueIterationEvaluation(tx, found.id, resultModelId, this.now());
			}
			return null;
		});
		if (queued !== null) this.options.wakeJobs?.();
	}

	/** True when this worker may launch the fine-tune: nobody else holds a live launch lease. */
	/** Keeps a launch this worker's while its upload and create go on. */
	private async renewLaunch(id: number) {
		await this.db.transaction(async (tx) =>
			tx
				.update(fineTune)
				.set({ launchExpiresAt: new Date(this.now().getTime() + this.launchLeaseMs) })
				.where(and(eq(fineTune.id, id), eq(fineTune.launchOwner, this.workerId)))
		);
	}

	private async takeLaunch(id: number): Promise<boolean> {
		const now = this.now();
		const taken = await changedRows(
			this.db.transaction(async (tx) =>
				tx
					.update(fineTune)
					.set({
						launchOwner: this.workerId,
						launchExpiresAt: new Date(now.getTime() + this.launchLeaseMs)
					})
					.where(
						and(
							eq(fineTune.id, id),
							isNull(fineTune.externalJobId),
							inArray(fineTune.status, ACTIVE_STATUSES),
							or(
								isNull(fineTune.launchOwner),
								eq(fineTune.launchOwner, this.workerId),
								lt(fineTune.launchExpiresAt, now)
							)
						)
					)
			)
		);
		return taken > 0;
	}

	/** Checks and uploads the files, then starts the provider's job. */
	private async launch(found: FineTune, adapter: FineTuneAdapter & { baseUrl: string }) {
		// Retired since it was asked for: nothing is uploaded for a model that is gone.
		const retirement = retirementOf(await listRetirements(this.db), found.baseModel, this.now());
		if (retirement?.state === 'retired') {
			await this.fail(found, describeRetirement(found.baseModel, retirement));
			return;
		}
		const target = (
			await this.db.select().from(project).where(eq(project.id, found.projectId)).limit(1)
		)[0]!;
		const dpo = found.method === 'dpo';
		const file = (split: 'train' | 'val') =>
			exportChunks(this.db, target, found.datasetId, {
				format: dpo ? 'openai_dpo' : 'openai',
				split,
				reasoning: false
			});
		const fileName = (split: 'train' | 'val') =>
			`dataset-${found.datasetId}-${split}${dpo ? '-dpo' : ''}.jsonl`;
		const settings = JSON.parse(found.hyperparameters) as Hyperparameters & {
			suffix: string | null;
		};
		// A chat file is checked as OpenAI checks one; a preference file is only measured, as
		// Winnow writes each pair whole from a repair and what it repaired. Both are measured
		// against the service's own limits before a byte is sent.
		const contexts = knownContexts(settings.maxContextLength);
		const check = async (split: 'train' | 'val') => {
			if (dpo) {
				const { lines, bytes } = await measureLines(linesOf(file(split)));
				return { examples: lines, bytes, problems: {} as Record<string, number>, overContext: {} };
			}
			return await checkOpenAiLines(linesOf(file(split)), contexts);
		};
		const checked = await check('train');
		const problems = Object.entries(checked.problems).filter(([, n]) => n > 0);
		if (checked.examples === 0 || problems.length > 0) {
			await this.fail(
				found,
				checked.examples === 0
					? dpo
						? 'The dataset has no preference pairs in its train split.'
						: 'The dataset has no training examples.'
					: `The training file has format errors: ${problems
							.map(([p, n]) => `${n} × ${PROBLEM_LABELS[p as keyof typeof PROBLEM_LABELS]}`)
							.join('; ')}`
			);
			return;
		}
		const validation = await check('val');
		const facts = (one: typeof checked) => ({
			lines: one.examples,
			bytes: one.bytes,
			overContext: one.overContext
		});
		// The own-GPU bundle is never launched here; every other adapter is a service with limits.
		const service = found.adapter === 'bundle' ? null : found.adapter;
		if (service) {
			const refusals = fileRefusals(service, found.method, {
				train: facts(checked),
				val: facts(validation)
			});
			if (refusals.length > 0) {
				await this.fail(found, refusals.join(' '));
				return;
			}
			const cut = contextNote(service, facts(checked), settings.maxContextLength);
			if (cut) await this.note(found, 'context-cut', cut);
		}
		if (!(await this.setIfActive(found.id, { status: 'uploading' }))) return;
		let trainingFileId = found.trainingFileId;
		let validationFileId = found.validationFileId;
		try {
			if (!trainingFileId) {
				trainingFileId = await adapter.upload(fileName('train'), file('train'));
				// Kept at once, so a retry after a later failure does not upload it again.
				await this.db.transaction(async (tx) =>
					tx.update(fineTune).set({ trainingFileId }).where(eq(fineTune.id, found.id))
				);
			}
			const hasVal = validation.examples > 0;
			if (hasVal) validationFileId ??= await adapter.upload(fileName('val'), file('val'));
			await this.db.transaction(async (tx) =>
				tx
					.update(fineTune)
					.set({ trainingFileId, validationFileId })
					.where(eq(fineTune.id, found.id))
			);
			// An earlier launch got this far and was cut short: its job may exist already.
			const made = found.launchAttemptedAt
				? await adapter.findByTrainingFile(trainingFileId)
				: null;
			if (!(await this.setIfActive(found.id, { launchAttemptedAt: this.now() }))) return;
			const jobId =
				made ??
				(await adapter.create({
					method: found.method,
					baseModel: found.baseModel,
					trainingFileId,
					validationFileId,
					suffix: settings.suffix,
					hyperparameters: settings
				}));
			// Cancelled while the files went up: the job just made is cancelled at once.
			if (!(await this.setIfActive(found.id, { externalJobId: jobId, status: 'validating' }))) {
				await adapter.cancel(jobId);
			}
		} catch (e) {
			const failure = classifyFailure(e, adapter.baseUrl);
			// Rate limits and outages are tried again next round; a refusal ends the fine-tune.
			if (failure.kind === 'retry') throw e;
			await this.fail(found, failure.message);
		}
	}
}
