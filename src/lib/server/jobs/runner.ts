import { and, eq, inArray, min, sql } from 'drizzle-orm';
import type OpenAI from 'openai';
import type { Db } from '../db';
import {
	job,
	jobItem,
	model,
	project,
	provider,
	type Job,
	type Model,
	type Project,
	type Provider
} from '../db/schema';
import { classifyFailure } from '../providers/errors';
import { clientFor } from '../providers';
import { parseQueuePriority, randomKey } from '../queuePriority';
import type { SecretKey } from '../secrets';
import { jobConfigOf, type JobConfig } from '.';
import {
	answerOf,
	buildPairPrompt,
	buildPrompt,
	completionRequest,
	DEFAULT_PAIR_PROMPT,
	EMPTY_OUTPUT,
	parseOutput,
	parsePairs,
	usageOf,
	type ParsedOutput,
	type Prompt
} from './prompt';
import { hashText, splitForInputHash } from '../split';
import { ProviderLimiter } from './rateLimit';
import { runnerStatements } from './statements';

// Works the items of running jobs: as many calls in flight per job as its concurrency allows,
// within each provider's request and token budget. A call that meets a 429, a 5xx or a timeout
// is tried again later with exponential backoff and jitter, or after the Retry-After the
// provider gave. Each item's example is written in the same transaction that marks the item
// done, so an item yields at most one example, and a crash loses no finished work: items left
// running are pending again at the next start. A refusal every call would meet (a refused key,
// an unknown model) stops the job; in a job of several models it stops only that model's items.

export type RunnerOptions = {
	key: SecretKey;
	now?: () => number;
	/** Jitter for the backoff; seeded in tests. */
	random?: () => number;
	baseBackoffMs?: number;
	maxBackoffMs?: number;
	maxAttempts?: number;
	/** The longest the runner sleeps before looking again, whatever it expects. */
	pollMs?: number;
	log?: (message: string) => void;
};

type JobContext = {
	job: Job;
	config: JobConfig;
	target: Project;
	prompt: Prompt;
	models: Map<number, { model: Model; provider: Provider; client: OpenAI }>;
	priority: number;
	source: 'distillation' | 'evaluation' | 'documents';
};

/** An answer the runner cannot use (empty, or pairs it cannot read): asked again, up to a limit. */
class UnusableOutput extends Error {}

const REASONS = {
	distillation: 'teacher output',
	evaluation: 'evaluation output',
	documents: 'proposed from a document passage'
} as const;

type PendingItem = {
	id: number;
	input: string;
	inputHash: string;
	modelId: number | null;
	attempts: number;
};

export class JobRunner {
	private readonly limiter = new ProviderLimiter();
	private readonly statements: ReturnType<typeof runnerStatements>;
	private readonly inFlight = new Map<number, Map<number, AbortController>>();
	private readonly contexts = new Map<number, JobContext>();
	private timer: ReturnType<typeof setTimeout> | null = null;
	private wakeQueued = false;
	private stopped = true;
	private readonly now: () => number;
	private readonly random: () => number;
	private readonly baseBackoffMs: number;
	private readonly maxBackoffMs: number;
	readonly maxAttempts: number;
	private readonly pollMs: number;
	private readonly log: (message: string) => void;
	private settled: Promise<unknown>[] = [];

	constructor(
		private readonly db: Db,
		private readonly options: RunnerOptions
	) {
		this.now = options.now ?? Date.now;
		this.random = options.random ?? Math.random;
		this.baseBackoffMs = options.baseBackoffMs ?? 1000;
		this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
		this.maxAttempts = options.maxAttempts ?? 8;
		this.pollMs = options.pollMs ?? 2000;
		this.log = options.log ?? (() => {});
		this.statements = runnerStatements(db);
	}

	/** Puts back the items a crash or a stop left running, then starts working. */
	start() {
		this.db
			.update(jobItem)
			.set({ status: 'pending', startedAt: null })
			.where(eq(jobItem.status, 'running'))
			.run();
		this.stopped = false;
		this.wake();
	}

	/**
	 * Something changed (a job started, paused, resumed or cancelled; a call ended): look
	 * again. Wakes in the same turn of the event loop are served by one look, so a burst of
	 * finished calls costs one round of queries, not one each.
	 */
	wake() {
		if (this.stopped || this.wakeQueued) return;
		this.wakeQueued = true;
		setImmediate(() => {
			this.wakeQueued = false;
			if (this.stopped) return;
			try {
				this.tick();
			} catch (e) {
				// A failed look (the database busy past its timeout, say) is tried again shortly.
				this.log(`job runner: ${(e as Error).message}`);
				this.schedule(this.now() + this.pollMs);
			}
		});
	}

	/** Calls in flight, for tests and the status line. */
	get busy(): number {
		let n = 0;
		for (const calls of this.inFlight.values()) n += calls.size;
		return n;
	}

	/** Stops dispatching, abandons calls in flight and waits for them to unwind. */
	async stop() {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		for (const calls of this.inFlight.values()) for (const c of calls.values()) c.abort();
		await Promise.allSettled(this.settled);
		this.db
			.update(jobItem)
			.set({ status: 'pending', startedAt: null })
			.where(eq(jobItem.status, 'running'))
			.run();
	}

	private schedule(at: number) {
		if (this.stopped) return;
		if (this.timer) clearTimeout(this.timer);
		const delay = Math.max(0, Math.min(at - this.now(), this.pollMs));
		this.timer = setTimeout(() => {
			this.timer = null;
			this.wake();
		}, delay);
		this.timer.unref?.();
	}

	private tick() {
		const now = this.now();
		let nextAt = now + this.pollMs;
		const running = this.statements.runningJobs.all();
		const runningIds = new Set(running.map((j) => j.id));
		// Calls of jobs no longer running: a cancel aborts them; a pause lets them finish.
		for (const [jobId, calls] of this.inFlight) {
			if (runningIds.has(jobId)) continue;
			if (calls.size === 0) {
				this.inFlight.delete(jobId);
				continue;
			}
			const status = this.db
				.select({ status: job.status })
				.from(job)
				.where(eq(job.id, jobId))
				.get();
			if (status?.status !== 'paused') for (const c of calls.values()) c.abort();
		}
		for (const id of this.contexts.keys()) if (!runningIds.has(id)) this.contexts.delete(id);

		for (const found of running) {
			const context = this.contextFor(found);
			if (!context) continue;
			const calls = this.inFlight.get(found.id) ?? new Map<number, AbortController>();
			this.inFlight.set(found.id, calls);
			const free = found.concurrency - calls.size;
			const due =
				free > 0 ? this.statements.dueItems.all({ jobId: found.id, now, limit: free }) : [];
			const dispatch: PendingItem[] = [];
			for (const item of due) {
				const target = item.modelId !== null ? context.models.get(item.modelId) : undefined;
				if (!target) {
					this.failItem(item.id, 'The model of this item was removed.', now);
					continue;
				}
				const estimate = estimateTokens(context, item.input);
				const wait = this.limiter.take(target.provider.id, target.provider, estimate, now);
				if (wait > 0) {
					nextAt = Math.min(nextAt, now + wait);
					break;
				}
				dispatch.push(item);
			}
			for (const item of dispatch) {
				if (this.statements.markRunning.run({ id: item.id, now }).changes > 0) {
					this.call(context, item, calls);
				}
			}
			if (calls.size === 0 && due.length === 0) {
				const waiting = this.db
					.select({ next: min(jobItem.nextAttemptAt), n: sql<number>`count(*)` })
					.from(jobItem)
					.where(and(eq(jobItem.jobId, found.id), inArray(jobItem.status, ['pending', 'running'])))
					.get();
				if (!waiting || waiting.n === 0) this.finish(found.id, now);
				else if (waiting.next) nextAt = Math.min(nextAt, waiting.next.getTime());
			}
		}
		if (running.length > 0 || this.busy > 0) this.schedule(nextAt);
	}

	private contextFor(found: Job): JobContext | null {
		const cached = this.contexts.get(found.id);
		if (cached) {
			cached.job = found;
			return cached;
		}
		try {
			const target = this.db.select().from(project).where(eq(project.id, found.projectId)).get();
			if (!target) throw new Error('The project is gone.');
			const config = jobConfigOf(found);
			const modelIds = this.db
				.selectDistinct({ id: jobItem.modelId })
				.from(jobItem)
				.where(eq(jobItem.jobId, found.id))
				.all()
				.flatMap((r) => (r.id === null ? [] : [r.id]));
			const rows = modelIds.length
				? this.db
						.select({ model, provider })
						.from(model)
						.innerJoin(provider, eq(provider.id, model.providerId))
						.where(inArray(model.id, modelIds))
						.all()
				: [];
			const models = new Map(
				rows.map((r) => [
					r.model.id,
					{
						model: r.model,
						provider: r.provider,
						client: clientFor(r.provider, this.options.key, {
							timeoutMs: config.timeoutSeconds * 1000
						})
					}
				])
			);
			const priority = parseQueuePriority(target.queuePriority);
			const context: JobContext = {
				job: found,
				config,
				target,
				prompt:
					found.kind === 'documents'
						? buildPairPrompt(this.db, target, {
								pairPrompt: config.pairPrompt ?? DEFAULT_PAIR_PROMPT,
								pairsPerPassage: config.pairsPerPassage ?? 3
							})
						: buildPrompt(this.db, target, config),
				models,
				priority: priority?.kind === 'job' && priority.jobId === found.id ? 1 : 0,
				source:
					found.kind === 'evaluation'
						? 'evaluation'
						: found.kind === 'documents'
							? 'documents'
							: 'distillation'
			};
			this.contexts.set(found.id, context);
			return context;
		} catch (e) {
			this.failJob(found.id, `The job could not start: ${(e as Error).message}`, this.now());
			return null;
		}
	}

	private call(context: JobContext, item: PendingItem, calls: Map<number, AbortController>) {
		const controller = new AbortController();
		calls.set(item.id, controller);
		const target = context.models.get(item.modelId!)!;
		const estimate = estimateTokens(context, item.input);
		const started = this.now();
		const { config, prompt } = context;
		const done = target.client.chat.completions
			.create(completionRequest(prompt, target.model.name, item.input, config), {
				signal: controller.signal
			})
			.then(
				(completion) => {
					if (controller.signal.aborted) return;
					const { inputTokens, outputTokens } = usageOf(completion, target.model);
					this.limiter.settle(target.provider.id, estimate, inputTokens + outputTokens);
					this.succeed(context, item, target.model, completion, this.now() - started);
				},
				(error: unknown) => {
					if (controller.signal.aborted) return;
					this.retryOrFail(context, item, target.provider, error);
				}
			)
			.catch((e: unknown) => {
				this.log(`job ${context.job.id} item ${item.id}: ${(e as Error).message}`);
				this.failItem(item.id, 'Winnow could not save this output.', this.now());
			})
			.finally(() => {
				calls.delete(item.id);
				this.settled = this.settled.filter((p) => p !== done);
				this.wake();
			});
		this.settled.push(done);
	}

	private succeed(
		context: JobContext,
		item: PendingItem,
		teacher: Model,
		completion: OpenAI.Chat.Completions.ChatCompletion,
		latencyMs: number
	) {
		const { content, sideReasoning } = answerOf(completion);
		if (content.trim() === '') {
			this.retryOrFail(context, item, null, new UnusableOutput(EMPTY_OUTPUT));
			return;
		}
		let answers: (ParsedOutput & { input: string; inputHash: string })[];
		if (context.prompt.mode === 'pairs') {
			const result = parsePairs(context.prompt, content);
			if ('error' in result) {
				this.retryOrFail(context, item, null, new UnusableOutput(result.error));
				return;
			}
			answers = result.pairs.map((p) => ({ ...p, inputHash: hashText(p.input) }));
		} else {
			answers = [
				{
					...parseOutput(context.prompt, content, sideReasoning),
					input: item.input,
					inputHash: item.inputHash
				}
			];
		}
		const drop = context.config.invalidOutputs === 'drop';
		const kept = answers.filter((a) => !(drop && a.schemaValid === false));
		const { inputTokens, outputTokens, cost } = usageOf(completion, teacher);
		const at = new Date(this.now());
		const { target } = context;
		const failed = kept.length === 0;
		this.statements.finishItem(
			{
				id: item.id,
				status: failed ? 'failed' : 'done',
				attempts: item.attempts + 1,
				error: failed ? `Invalid output, dropped: ${answers[0].schemaErrors}` : null,
				inputTokens,
				outputTokens,
				cost,
				latencyMs,
				finishedAt: at.getTime()
			},
			context.job.id,
			kept.map((answer, index) => ({
				jobId: context.job.id,
				itemId: item.id,
				dedupeKey:
					context.prompt.mode === 'pairs'
						? `job:${context.job.id}:item:${item.id}:pair:${index}`
						: `job:${context.job.id}:item:${item.id}`,
				projectId: target.id,
				input: answer.input,
				inputHash: answer.inputHash,
				split: splitForInputHash(answer.inputHash, target),
				source: context.source,
				priority: context.priority,
				randomKey: randomKey(),
				output: answer.output,
				reasoning: answer.reasoning,
				modelId: teacher.id,
				reason: REASONS[context.source],
				schemaValid: answer.schemaValid,
				schemaErrors: answer.schemaErrors,
				at
			}))
		);
	}

	private retryOrFail(
		context: JobContext,
		item: PendingItem,
		source: Provider | null,
		error: unknown
	) {
		const now = this.now();
		const failure = classifyFailure(error, source?.baseUrl ?? '');
		const attempts = item.attempts + 1;
		if (failure.kind === 'job') {
			this.refuseModel(context, item, failure.message, now);
			return;
		}
		if (failure.kind === 'item' && !(error instanceof UnusableOutput)) {
			this.failItem(item.id, failure.message, now, attempts);
			return;
		}
		if (attempts >= this.maxAttempts) {
			this.failItem(
				item.id,
				`Gave up after ${attempts} attempts: ${failure.message}`,
				now,
				attempts
			);
			return;
		}
		const cap = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (attempts - 1));
		const backoff = cap / 2 + this.random() * (cap / 2);
		const delay = failure.retryAfterMs ?? backoff;
		if (failure.retryAfterMs !== null && source) {
			this.limiter.closeFor(source.id, failure.retryAfterMs, now);
		}
		this.db
			.update(jobItem)
			.set({
				status: 'pending',
				attempts,
				error: failure.message,
				nextAttemptAt: new Date(now + delay)
			})
			.where(and(eq(jobItem.id, item.id), eq(jobItem.status, 'running')))
			.run();
	}

	private failItem(itemId: number, message: string, now: number, attempts?: number) {
		this.db
			.update(jobItem)
			.set({
				status: 'failed',
				error: message,
				finishedAt: new Date(now),
				...(attempts !== undefined ? { attempts } : {})
			})
			.where(and(eq(jobItem.id, itemId), inArray(jobItem.status, ['pending', 'running'])))
			.run();
	}

	/**
	 * Every call to this item's model would fail the same way. With one model the job fails. With
	 * several, that model's items fail and the job goes on with the others; its error says which
	 * model was stopped and why. It fails once no item is done or left.
	 */
	private refuseModel(context: JobContext, item: PendingItem, message: string, now: number) {
		const target = item.modelId !== null ? context.models.get(item.modelId) : undefined;
		if (!target || context.models.size === 1) {
			this.failJob(context.job.id, message, now);
			return;
		}
		const jobId = context.job.id;
		const note = `Stopped asking ${target.model.name} (${target.provider.name}): ${message}`;
		let inFlight: { id: number }[] = [];
		const jobFailed = this.db.transaction(
			(tx) => {
				const ofModel = and(
					eq(jobItem.jobId, jobId),
					eq(jobItem.modelId, target.model.id),
					eq(jobItem.status, 'running')
				);
				inFlight = tx.select({ id: jobItem.id }).from(jobItem).where(ofModel).all();
				const stopped = tx
					.update(jobItem)
					.set({ status: 'failed', error: message, finishedAt: new Date(now) })
					.where(
						and(
							eq(jobItem.jobId, jobId),
							eq(jobItem.modelId, target.model.id),
							inArray(jobItem.status, ['pending', 'running'])
						)
					)
					.run().changes;
				// A call that was in flight when its model was stopped: already counted.
				if (stopped === 0) return false;
				const earlier = tx.select({ error: job.error }).from(job).where(eq(job.id, jobId)).get();
				const error = earlier?.error ? `${earlier.error}; ${note}` : note;
				const workLeft = tx
					.select({ n: sql<number>`count(*)` })
					.from(jobItem)
					.where(
						and(eq(jobItem.jobId, jobId), inArray(jobItem.status, ['pending', 'running', 'done']))
					)
					.get()!.n;
				tx.update(job)
					.set(workLeft === 0 ? { status: 'failed', error, finishedAt: new Date(now) } : { error })
					.where(eq(job.id, jobId))
					.run();
				return workLeft === 0;
			},
			{ behavior: 'immediate' }
		);
		this.log(`job ${jobId}: ${note}`);
		// The model's other calls would meet the same refusal: they are not waited for.
		for (const { id } of inFlight) this.inFlight.get(jobId)?.get(id)?.abort();
		if (jobFailed) {
			this.contexts.delete(jobId);
			for (const c of this.inFlight.get(jobId)?.values() ?? []) c.abort();
		}
	}

	/** Every item would fail the same way (a refused key, an unknown model): stop the job. */
	private failJob(jobId: number, message: string, now: number) {
		this.log(`job ${jobId} failed: ${message}`);
		this.db.transaction(
			(tx) => {
				tx.update(job)
					.set({ status: 'failed', error: message, finishedAt: new Date(now) })
					.where(eq(job.id, jobId))
					.run();
				tx.update(jobItem)
					.set({ status: 'failed', error: message, finishedAt: new Date(now) })
					.where(and(eq(jobItem.jobId, jobId), inArray(jobItem.status, ['pending', 'running'])))
					.run();
			},
			{ behavior: 'immediate' }
		);
		this.contexts.delete(jobId);
		for (const c of this.inFlight.get(jobId)?.values() ?? []) c.abort();
	}

	private finish(jobId: number, now: number) {
		this.db
			.update(job)
			.set({ status: 'done', finishedAt: new Date(now) })
			.where(and(eq(job.id, jobId), eq(job.status, 'running')))
			.run();
		this.contexts.delete(jobId);
		this.inFlight.delete(jobId);
	}
}

/** A rough count for the token budget before the call; corrected by the real usage after. */
function estimateTokens(context: JobContext, input: string): number {
	const promptChars =
		context.prompt.system.length +
		context.prompt.examples.reduce((sum, e) => sum + e.input.length + e.output.length, 0) +
		input.length;
	return Math.ceil(promptChars / 4) + (context.config.maxTokens ?? 512);
}
