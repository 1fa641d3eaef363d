import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db';
import { fineTune, fineTuneEvent, model, project, type FineTune } from '../db/schema';
import { checkOpenAiLines, exportChunks, linesOf } from '../datasets/export';
import { PROBLEM_LABELS } from '../../schemas/dataset';
import { classifyFailure, describeProviderError } from '../providers/errors';
import type { SecretKey } from '../secrets';
import { ACTIVE_STATUSES, adapterFor } from '.';
import type { FineTuneAdapter, Hyperparameters } from './adapter';
import { queueIterationEvaluation } from '../iterations';

// Follows fine-tunes in the background: uploads the dataset's files and starts the provider's
// job for a new one, then asks for status and events until it ends. Everything it learns is
// stored, so after a restart it carries on from the database.

export type FollowerOptions = {
	key: SecretKey;
	pollMs?: number;
	now?: () => Date;
	log?: (message: string) => void;
	/** Tells the job runner that an evaluation run was queued for a new student. */
	wakeJobs?: () => void;
};

export class FineTuneFollower {
	private timer: ReturnType<typeof setTimeout> | null = null;
	private busy: Promise<void> | null = null;
	private again = false;
	private stopped = true;
	private readonly pollMs: number;
	private readonly now: () => Date;
	private readonly log: (message: string) => void;

	constructor(
		private readonly db: Db,
		private readonly options: FollowerOptions
	) {
		this.pollMs = options.pollMs ?? 10_000;
		this.now = options.now ?? (() => new Date());
		this.log = options.log ?? (() => {});
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
		this.busy = this.round()
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
		const active = this.db
			.select()
			.from(fineTune)
			.where(inArray(fineTune.status, ACTIVE_STATUSES))
			.all();
		for (const found of active) {
			if (this.stopped) return;
			try {
				await this.step(found);
			} catch (e) {
				// A provider that cannot be reached now is asked again next round.
				this.log(`fine-tune ${found.id}: ${describeProviderError(e, '')}`);
			}
		}
	}

	/** Writes only while the fine-tune is still active: a cancel always wins. */
	private setIfActive(id: number, values: Partial<FineTune>): boolean {
		return (
			this.db
				.update(fineTune)
				.set(values)
				.where(and(eq(fineTune.id, id), inArray(fineTune.status, ACTIVE_STATUSES)))
				.run().changes > 0
		);
	}

	private fail(found: FineTune, message: string) {
		this.setIfActive(found.id, { status: 'failed', error: message, finishedAt: this.now() });
	}

	private async step(found: FineTune) {
		const adapter = await adapterFor(this.db, this.options.key, found);
		if (!adapter) {
			this.fail(found, 'The provider of this fine-tune was removed.');
			return;
		}
		if (!found.externalJobId) {
			await this.launch(found, adapter);
			return;
		}
		const status = await adapter.status(found.externalJobId);
		const events = await adapter.events(found.externalJobId);
		const queued = this.db.transaction((tx) => {
			for (const event of events) {
				tx.insert(fineTuneEvent)
					.values({ fineTuneId: found.id, ...event })
					.onConflictDoNothing()
					.run();
			}
			const ended = ['succeeded', 'failed', 'cancelled'].includes(status.status);
			let resultModelId = found.resultModelId;
			if (status.status === 'succeeded' && status.resultModel && resultModelId === null) {
				// The new model joins its provider's models, everywhere a model is chosen.
				resultModelId = tx
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
					.get().id;
			}
			const written = tx
				.update(fineTune)
				.set({
					status: status.status,
					error: status.error,
					resultModelId,
					...(ended ? { finishedAt: this.now() } : {})
				})
				.where(and(eq(fineTune.id, found.id), inArray(fineTune.status, ACTIVE_STATUSES)))
				.run().changes;
			// The loop goes on by itself: a student made for an iteration is evaluated at once.
			if (written > 0 && status.status === 'succeeded' && resultModelId !== null) {
				return queueIterationEvaluation(tx, found.id, resultModelId, this.now());
			}
			return null;
		});
		if (queued !== null) this.options.wakeJobs?.();
	}

	/** Checks and uploads the files, then starts the provider's job. */
	private async launch(found: FineTune, adapter: FineTuneAdapter) {
		const target = this.db.select().from(project).where(eq(project.id, found.projectId)).get()!;
		const file = (split: 'train' | 'val') =>
			exportChunks(this.db, target, found.datasetId, { format: 'openai', split, reasoning: false });
		const check = checkOpenAiLines(linesOf(file('train')));
		const problems = Object.entries(check.problems).filter(([, n]) => n > 0);
		if (check.examples === 0 || problems.length > 0) {
			this.fail(
				found,
				check.examples === 0
					? 'The dataset has no training examples.'
					: `The training file has format errors: ${problems
							.map(([p, n]) => `${n} × ${PROBLEM_LABELS[p as keyof typeof PROBLEM_LABELS]}`)
							.join('; ')}`
			);
			return;
		}
		if (!this.setIfActive(found.id, { status: 'uploading' })) return;
		const settings = JSON.parse(found.hyperparameters) as Hyperparameters & {
			suffix: string | null;
		};
		let trainingFileId = found.trainingFileId;
		let validationFileId = found.validationFileId;
		try {
			if (!trainingFileId) {
				trainingFileId = await adapter.upload(
					`dataset-${found.datasetId}-train.jsonl`,
					file('train')
				);
				// Kept at once, so a retry after a later failure does not upload it again.
				this.db.update(fineTune).set({ trainingFileId }).where(eq(fineTune.id, found.id)).run();
			}
			const hasVal = checkOpenAiLines(linesOf(file('val'))).examples > 0;
			if (hasVal) {
				validationFileId ??= await adapter.upload(
					`dataset-${found.datasetId}-val.jsonl`,
					file('val')
				);
			}
			this.db
				.update(fineTune)
				.set({ trainingFileId, validationFileId })
				.where(eq(fineTune.id, found.id))
				.run();
			const jobId = await adapter.create({
				baseModel: found.baseModel,
				trainingFileId,
				validationFileId,
				suffix: settings.suffix,
				hyperparameters: settings
			});
			// Cancelled while the files went up: the job just made is cancelled at once.
			if (!this.setIfActive(found.id, { externalJobId: jobId, status: 'validating' })) {
				await adapter.cancel(jobId);
			}
		} catch (e) {
			const failure = classifyFailure(e, '');
			// Rate limits and outages are tried again next round; a refusal ends the fine-tune.
			if (failure.kind === 'retry') throw e;
			this.fail(found, failure.message);
		}
	}
}
