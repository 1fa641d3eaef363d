import { and, eq, gt, inArray, min, sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type OpenAI from 'openai';
import { apart, type Db, changedRows } from '../db';
import {
	job,
	jobItem,
	worker,
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
	parseAnswer,
	parsePairs,
	usageOf,
	type ParsedOutput,
	type Prompt
} from './prompt';
import { conversationKeyOf, hashText, splitForInputHash } from '../split';
import type { Thread } from '../../conversations';
import {
	changeBudget,
	closeFor,
	loadBudget,
	saveBudget,
	settle,
	take,
	type Budget
} from './rateLimit';
import { runnerStatements, type ClaimedItem } from './statements';
import { batchedWrites } from './writeBatch';
import {
	feedFollowingRun,
	judgeRequestFor,
	judgingFor,
	readJudgeAnswer,
	saveJudgeAnswer,
	type Judging
} from '../judges/run';
import { applyTrust, measureTrust } from '../judges/triage';

// Works the items of running jobs: as many calls in flight per job as its concurrency allows,
// within each provider's request and token budget, both held in the database so that several
// workers share them. A worker claims items with a lease that it renews while the call is in
// flight; every write about an item carries the lease it was claimed with, so a worker that
// lost an item (it stalled past the lease, and another took the item) writes nothing. Items of
// a worker that died go back to the others when their leases expire. A call that meets a 429, a 5xx or a timeout
// is tried again later with exponential backoff and jitter, or after the Retry-After the
// provider gave. Each item's example is written in the same transaction that marks the item
// done, so an item yields at most one example, and a crash loses no finished work. A refusal every call would meet (a refused key,
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
	/** This worker's name in the leases it holds; unique to the process by default. */
	workerId?: string;
	/** How long a claimed item stays this worker's without a renewal; renewed every third of it. */
	leaseMs?: number;
};

/** The default lease on a claimed item: long enough for a slow call's renewals to be rare. */
export const ITEM_LEASE_MS = 60_000;

type JobContext = {
	job: Job;
	config: JobConfig;
	target: Project;
	prompt: Prompt;
	models: Map<number, { model: Model; provider: Provider; client: OpenAI }>;
	priority: number;
	source: 'distillation' | 'evaluation' | 'documents';
	/** A judge run's judge: its items are outputs to rate, not inputs to answer. */
	judging?: Judging;
};

/** An answer the runner cannot use (empty, or pairs it cannot read): asked again, up to a limit. */
class UnusableOutput extends Error {}

const REASONS = {
	distillation: 'teacher output',
	evaluation: 'evaluation output',
	documents: 'proposed from a document passage'
} as const;

type PendingItem = ClaimedItem;

export class JobRunner {
	private readonly statements: ReturnType<typeof runnerStatements>;
	/** Finished items' writes, several to a transaction. */
	private readonly write: ReturnType<typeof batchedWrites>;
	private readonly inFlight = new Map<number, Map<number, AbortController>>();
	private readonly contexts = new Map<number, JobContext>();
	private timer: ReturnType<typeof setTimeout> | null = null;
	private wakeQueued = false;
	private looking = false;
	private stopped = true;
	private readonly now: () => number;
	private readonly random: () => number;
	private readonly baseBackoffMs: number;
	private readonly maxBackoffMs: number;
	readonly maxAttempts: number;
	private readonly pollMs: number;
	private readonly log: (message: string) => void;
	private settled: Promise<unknown>[] = [];
	readonly workerId: string;
	private readonly leaseMs: number;
	private renewal: ReturnType<typeof setInterval> | null = null;
	/** Set while the database does not answer: no work is taken until it does. */
	private cutOff = false;
	/** The lease each call in flight holds, by item. */
	private readonly leases = new Map<number, { jobId: number; token: number }>();
	/**
	 * Per job, this worker's items whose calls were answered and whose answers are being
	 * written, with the lease token each was answered under: their slots go to the next items
	 * at once, as the write is no call in flight.
	 */
	private readonly answered = new Map<number, Map<number, number>>();

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
		this.write = batchedWrites(db);
		this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
		this.leaseMs = options.leaseMs ?? ITEM_LEASE_MS;
	}

	/**
	 * Starts working. Items another worker (or this one before a crash) left running are not
	 * touched: they are taken again once their leases expire.
	 */
	async start() {
		this.stopped = false;
		await this.heartbeat();
		this.renewal = setInterval(() => void this.renewLeases(), Math.max(1, this.leaseMs / 3));
		this.renewal.unref?.();
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
		apart(() => setImmediate(() => void this.look()));
	}

	/** One look at a time: a wake during a look is served by another look right after it. */
	private async look() {
		if (this.looking) return;
		this.looking = true;
		this.wakeQueued = false;
		try {
			if (!this.stopped) {
				await this.tick();
				this.databaseAnswers();
			}
		} catch (e) {
			// A failed look (the database busy past its timeout, say) is tried again shortly.
			this.databaseLost(e);
			this.schedule(this.now() + this.pollMs);
		} finally {
			this.looking = false;
		}
		if (this.wakeQueued) {
			this.wakeQueued = false;
			this.wake();
		}
	}

	/** Calls in flight and answers still being written, for tests and the status line. */
	get busy(): number {
		let n = 0;
		for (const calls of this.inFlight.values()) n += calls.size;
		return n;
	}

	/**
	 * Stops dispatching, abandons calls in flight, waits for them to unwind and hands this
	 * worker's items back at once rather than when their leases would expire.
	 */
	async stop() {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		if (this.renewal) clearInterval(this.renewal);
		for (const calls of this.inFlight.values()) for (const c of calls.values()) c.abort();
		await Promise.allSettled(this.settled);
		await this.db.transaction(async (tx) => {
			await tx
				.update(jobItem)
				.set({ status: 'pending', startedAt: null, leaseOwner: null, leaseExpiresAt: null })
				.where(and(eq(jobItem.status, 'running'), eq(jobItem.leaseOwner, this.workerId)));
			await tx.delete(worker).where(eq(worker.id, this.workerId));
		});
	}

	/** Says this worker is alive, so that the others leave it its share of each job. */
	private async heartbeat() {
		const seenAt = new Date(this.now());
		await this.db.transaction(async (tx) =>
			tx
				.insert(worker)
				.values({ id: this.workerId, seenAt })
				.onConflictDoUpdate({ target: worker.id, set: { seenAt } })
		);
	}

	/** How many workers are alive: those seen within a lease. */
	private async liveWorkers(now: number): Promise<number> {
		const found = await this.db
			.select({ n: sql<number>`count(*)` })
			.from(worker)
			.where(gt(worker.seenAt, new Date(now - this.leaseMs)));
		return Math.max(1, found[0]?.n ?? 1);
	}

	/** Keeps the leases of the calls in flight; a call whose item was lost is abandoned. */
	private async renewLeases() {
		if (this.stopped) return;
		const until = this.now() + this.leaseMs;
		const held = [...this.leases];
		try {
			await this.heartbeat();
			const lost = await this.db.transaction(async () => {
				const gone: typeof held = [];
				for (const entry of held) {
					const [id, lease] = entry;
					if (!(await this.statements.renewLease(id, this.workerId, lease.token, until))) {
						gone.push(entry);
					}
				}
				return gone;
			});
			for (const [id, lease] of lost) {
				if (this.leases.get(id)?.token !== lease.token) continue;
				this.log(`job ${lease.jobId} item ${id}: its lease was lost; the call is abandoned`);
				this.inFlight.get(lease.jobId)?.get(id)?.abort();
			}
			this.databaseAnswers();
		} catch (e) {
			this.databaseLost(e);
		}
	}

	/**
	 * The database did not answer: take no more work and abandon the calls in flight, whose
	 * results could not be written; their items go back to the queue when the leases expire.
	 */
	private databaseLost(e: unknown) {
		if (!this.cutOff) {
			this.log(
				`job runner ${this.workerId}: the database does not answer (${(e as Error).message}); taking no work until it does — the items it held go back to the queue when their leases expire`
			);
		}
		this.cutOff = true;
		for (const calls of this.inFlight.values()) for (const c of calls.values()) c.abort();
	}

	private databaseAnswers() {
		if (!this.cutOff) return;
		this.cutOff = false;
		this.log(`job runner ${this.workerId}: the database answers again; taking work`);
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

	private async tick() {
		const now = this.now();
		let nextAt = now + this.pollMs;
		const running = await this.statements.runningJobs.execute();
		const runningIds = new Set(running.map((j) => j.id));
		// Calls of jobs no longer running: a cancel aborts them; a pause lets them finish.
		for (const [jobId, calls] of this.inFlight) {
			if (runningIds.has(jobId)) continue;
			if (calls.size === 0) {
				this.inFlight.delete(jobId);
				this.answered.delete(jobId);
				continue;
			}
			const status = (
				await this.db.select({ status: job.status }).from(job).where(eq(job.id, jobId)).limit(1)
			)[0];
			if (status?.status !== 'paused') for (const c of calls.values()) c.abort();
		}
		for (const id of this.contexts.keys()) if (!runningIds.has(id)) this.contexts.delete(id);
		const workers = running.length > 0 ? await this.liveWorkers(now) : 1;

		for (const found of running) {
			const context = await this.contextFor(found);
			if (!context) continue;
			const calls = this.inFlight.get(found.id) ?? new Map<number, AbortController>();
			this.inFlight.set(found.id, calls);
			const answered = this.answered.get(found.id) ?? new Map<number, number>();
			// Calls in flight: an answered item claimed again since (its write outlasted its lease)
			// is one again.
			let calling = 0;
			for (const id of calls.keys()) {
				if (answered.get(id) !== this.leases.get(id)?.token) calling += 1;
			}
			const share = Math.ceil(found.concurrency / workers) - calling;
			let wait = 0;
			// With no room, and no run to feed, there is nothing to claim: no write lock is taken.
			const claimed =
				share <= 0 && found.followsJobId === null
					? []
					: await this.db.transaction(async (tx) => {
							// The lease runs from when the claim is made, not from when this look began: the
							// transaction may have waited for the write lock.
							const at = this.now();
							// A judge run that follows a job first takes in what that job wrote since.
							if (found.followsJobId !== null) await feedFollowingRun(tx, found);
							const budgets = new Map<number, Budget>();
							const items = await this.statements.claimItems(
								{
									jobId: found.id,
									concurrency: found.concurrency,
									owner: this.workerId,
									now: at,
									until: at + this.leaseMs,
									share,
									answered
								},
								async (item) => {
									const target =
										item.modelId !== null ? context.models.get(item.modelId) : undefined;
									// Claimed only to be failed at once, below.
									if (!target) return true;
									const id = target.provider.id;
									const budget = budgets.get(id) ?? (await loadBudget(tx, id, at));
									budgets.set(id, budget);
									wait = take(budget, target.provider, estimateTokens(context, item.input), at);
									return wait === 0;
								}
							);
							// Only a limited provider's levels move; an unlimited one's row is read for a Retry-After.
							for (const [id, budget] of budgets) {
								if (budget.requestCapacity || budget.tokenCapacity)
									await saveBudget(tx, id, budget);
							}
							return items;
						});
			if (wait > 0) nextAt = Math.min(nextAt, now + wait);
			for (const item of claimed) {
				if (item.modelId === null || !context.models.has(item.modelId)) {
					await this.failItem(item, 'The model of this item was removed.', now);
				} else {
					this.call(context, item, calls);
				}
			}
			if (calls.size === 0 && claimed.length === 0) {
				const waiting = (
					await this.db
						.select({
							next: min(jobItem.nextAttemptAt),
							leaseEnds: min(jobItem.leaseExpiresAt),
							n: sql<number>`count(*)`
						})
						.from(jobItem)
						.where(
							and(eq(jobItem.jobId, found.id), inArray(jobItem.status, ['pending', 'running']))
						)
						.limit(1)
				)[0];
				if (!waiting || waiting.n === 0) {
					// A following run waits for its job to stop, then for its last outputs.
					if (await this.stillFollowing(found)) nextAt = Math.min(nextAt, now + this.pollMs);
					else await this.finish(found.id, now);
				} else {
					if (waiting.next) nextAt = Math.min(nextAt, waiting.next.getTime());
					if (waiting.leaseEnds) nextAt = Math.min(nextAt, waiting.leaseEnds.getTime());
				}
			}
		}
		if (running.length > 0 || this.busy > 0) this.schedule(nextAt);
	}

	private async contextFor(found: Job): Promise<JobContext | null> {
		const cached = this.contexts.get(found.id);
		if (cached) {
			cached.job = found;
			return cached;
		}
		try {
			const target = (
				await this.db.select().from(project).where(eq(project.id, found.projectId)).limit(1)
			)[0];
			if (!target) throw new Error('The project is gone.');
			const config = jobConfigOf(found);
			const modelIds = (
				await this.db
					.selectDistinct({ id: jobItem.modelId })
					.from(jobItem)
					.where(eq(jobItem.jobId, found.id))
			).flatMap((r) => (r.id === null ? [] : [r.id]));
			// A following judge run may have no item yet: its judge's model is the one it calls.
			if (found.modelId !== null && !modelIds.includes(found.modelId)) modelIds.push(found.modelId);
			const rows = modelIds.length
				? await this.db
						.select({ model, provider })
						.from(model)
						.innerJoin(provider, eq(provider.id, model.providerId))
						.where(inArray(model.id, modelIds))
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
			const judging = found.kind === 'judge' ? await judgingFor(this.db, found, target) : undefined;
			if (judging === null) throw new Error('its judge was deleted.');
			const context: JobContext = {
				judging,
				job: found,
				config,
				target,
				prompt:
					found.kind === 'documents'
						? await buildPairPrompt(this.db, target, {
								pairPrompt: config.pairPrompt ?? DEFAULT_PAIR_PROMPT,
								pairsPerPassage: config.pairsPerPassage ?? 3
							})
						: await buildPrompt(this.db, target, config),
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
			await this.failJob(found.id, `The job could not start: ${(e as Error).message}`, this.now());
			return null;
		}
	}

	private call(context: JobContext, item: PendingItem, calls: Map<number, AbortController>) {
		const controller = new AbortController();
		calls.set(item.id, controller);
		this.leases.set(item.id, { jobId: context.job.id, token: item.leaseToken });
		const target = context.models.get(item.modelId!)!;
		const estimate = estimateTokens(context, item.input);
		const started = this.now();
		const { config, prompt, judging } = context;
		// A judge run's request reads the output it judges; every other asks for an answer.
		const request =
			judging && item.judgedRevisionId !== null
				? judgeRequestFor(this.db, judging, target.model.name, item)
				: // A request that cannot be built (an input that is not what the project takes) fails
					// its item like a refused call, rather than stopping the runner.
					new Promise<ReturnType<typeof completionRequest>>((resolve) =>
						resolve(completionRequest(prompt, target.model.name, item.input, config))
					);
		const jobId = context.job.id;
		// The call was answered: its slot goes to the next item while the answer is written. A
		// refused call keeps its slot until its outcome is saved, which may close the provider's
		// budget (a 429's Retry-After) or stop the job before another call goes out.
		const markAnswered = () => {
			const ofJob = this.answered.get(jobId) ?? new Map<number, number>();
			this.answered.set(jobId, ofJob.set(item.id, item.leaseToken));
			this.wake();
		};
		const done = request
			.then((body) => target.client.chat.completions.create(body, { signal: controller.signal }))
			.then(
				async (completion) => {
					if (controller.signal.aborted) return;
					markAnswered();
					const { inputTokens, outputTokens } = usageOf(completion, target.model);
					const used = inputTokens + outputTokens;
					await this.succeed(context, item, target, completion, this.now() - started, {
						estimate,
						used
					});
				},
				async (error: unknown) => {
					if (controller.signal.aborted) return;
					await this.retryOrFail(context, item, target.provider, error);
				}
			)
			.catch(async (e: unknown) => {
				this.log(`job ${context.job.id} item ${item.id}: ${(e as Error).message}`);
				// When the database itself is away this fails too, and the item goes back to the
				// queue once its lease expires.
				await this.failItem(item, 'Winnow could not save this output.', this.now()).catch(
					(lost: unknown) => this.databaseLost(lost)
				);
			})
			.finally(() => {
				// Only this call's own entries: the item may have been claimed again meanwhile.
				if (calls.get(item.id) === controller) calls.delete(item.id);
				const ofJob = this.answered.get(jobId);
				if (ofJob?.get(item.id) === item.leaseToken) ofJob.delete(item.id);
				if (this.leases.get(item.id)?.token === item.leaseToken) this.leases.delete(item.id);
				this.settled = this.settled.filter((p) => p !== done);
				this.wake();
			});
		this.settled.push(done);
	}

	private async succeed(
		context: JobContext,
		item: PendingItem,
		{ model: teacher, provider: source }: { model: Model; provider: Provider },
		completion: OpenAI.Chat.Completions.ChatCompletion,
		latencyMs: number,
		tokens: { estimate: number; used: number }
	) {
		const { content } = answerOf(completion);
		// A turn may be tool calls alone; parseAnswer says when it is empty.
		const turn = context.prompt.outputKind === 'turn' && context.prompt.mode === 'answer';
		if (content.trim() === '' && !turn) {
			await this.retryOrFail(context, item, null, new UnusableOutput(EMPTY_OUTPUT));
			return;
		}
		if (context.judging) {
			await this.judged(context, context.judging, item, teacher, source, completion, content, {
				latencyMs,
				...tokens
			});
			return;
		}
		let answers: (ParsedOutput & { input: string; inputHash: string })[];
		if (context.prompt.mode === 'pairs') {
			const result = parsePairs(context.prompt, content);
			if ('error' in result) {
				await this.retryOrFail(context, item, null, new UnusableOutput(result.error));
				return;
			}
			answers = result.pairs.map((p) => ({ ...p, inputHash: hashText(p.input) }));
		} else {
			const parsed = parseAnswer(context.prompt, item.input, completion);
			if (parsed === null) {
				await this.retryOrFail(context, item, null, new UnusableOutput(EMPTY_OUTPUT));
				return;
			}
			answers = [{ ...parsed, input: item.input, inputHash: item.inputHash }];
		}
		const conversation = context.target.inputKind === 'conversation';
		const keyed = answers.map((a) => ({
			...a,
			conversationKey: conversation ? conversationKeyOf(JSON.parse(a.input) as Thread) : null
		}));
		const drop = context.config.invalidOutputs === 'drop';
		const kept = keyed.filter((a) => !(drop && a.schemaValid === false));
		const { inputTokens, outputTokens, cost } = usageOf(completion, teacher);
		const at = new Date(this.now());
		const { target } = context;
		const failed = kept.length === 0;
		await this.write((tx) =>
			this.statements.writeFinished(
				tx,
				{
					id: item.id,
					leaseOwner: this.workerId,
					leaseToken: item.leaseToken,
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
					conversationKey: answer.conversationKey,
					split: splitForInputHash(answer.conversationKey ?? answer.inputHash, target),
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
				})),
				source.tokensPerMinute
					? (tx) =>
							changeBudget(tx, source.id, this.now(), (b) =>
								settle(b, tokens.estimate, tokens.used)
							)
					: undefined
			)
		);
	}

	/**
	 * A judge's answer: kept as a judgment of the revision it judged when it is on the scale and
	 * the schema; otherwise the item fails with the reason and the run goes on. People's reviews,
	 * statuses and datasets are never written here.
	 */
	private async judged(
		context: JobContext,
		judging: Judging,
		item: PendingItem,
		judgeModel: Model,
		source: Provider,
		completion: OpenAI.Chat.Completions.ChatCompletion,
		content: string,
		measured: { latencyMs: number; estimate: number; used: number }
	) {
		const parsed = readJudgeAnswer(judging, item, content);
		const { inputTokens, outputTokens, cost } = usageOf(completion, judgeModel);
		const at = new Date(this.now());
		await this.write((tx) =>
			this.statements.writeFinished(
				tx,
				{
					id: item.id,
					leaseOwner: this.workerId,
					leaseToken: item.leaseToken,
					status: parsed.ok ? 'done' : 'failed',
					attempts: item.attempts + 1,
					error: parsed.ok ? null : parsed.reason,
					inputTokens,
					outputTokens,
					cost,
					latencyMs: measured.latencyMs,
					finishedAt: at.getTime()
				},
				context.job.id,
				[],
				async (tx) => {
					if (parsed.ok) await saveJudgeAnswer(tx, judging.judge.id, item, parsed, at);
					if (source.tokensPerMinute) {
						await changeBudget(tx, source.id, this.now(), (b) =>
							settle(b, measured.estimate, measured.used)
						);
					}
				}
			)
		);
	}

	private async retryOrFail(
		context: JobContext,
		item: PendingItem,
		source: Provider | null,
		error: unknown
	) {
		const now = this.now();
		const failure = classifyFailure(error, source?.baseUrl ?? '');
		const attempts = item.attempts + 1;
		if (failure.kind === 'job') {
			await this.refuseModel(context, item, failure.message, now);
			return;
		}
		if (failure.kind === 'item' && !(error instanceof UnusableOutput)) {
			await this.failItem(item, failure.message, now, attempts);
			return;
		}
		if (attempts >= this.maxAttempts) {
			await this.failItem(
				item,
				`Gave up after ${attempts} attempts: ${failure.message}`,
				now,
				attempts
			);
			return;
		}
		const cap = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (attempts - 1));
		const backoff = cap / 2 + this.random() * (cap / 2);
		const delay = failure.retryAfterMs ?? backoff;
		await this.db.transaction(async (tx) => {
			const written = await changedRows(
				tx
					.update(jobItem)
					.set({
						status: 'pending',
						attempts,
						error: failure.message,
						nextAttemptAt: new Date(now + delay),
						leaseOwner: null,
						leaseExpiresAt: null
					})
					.where(this.held(item))
			);
			if (written > 0 && failure.retryAfterMs !== null && source) {
				const wait = failure.retryAfterMs;
				await changeBudget(tx, source.id, now, (b) => closeFor(b, wait, now));
			}
		});
	}

	/** The item, while this worker still holds it under the lease it was claimed with. */
	private held(item: PendingItem) {
		return and(
			eq(jobItem.id, item.id),
			eq(jobItem.status, 'running'),
			eq(jobItem.leaseOwner, this.workerId),
			eq(jobItem.leaseToken, item.leaseToken)
		);
	}

	private async failItem(item: PendingItem, message: string, now: number, attempts?: number) {
		await this.db.transaction(async (tx) =>
			tx
				.update(jobItem)
				.set({
					status: 'failed',
					error: message,
					finishedAt: new Date(now),
					leaseOwner: null,
					leaseExpiresAt: null,
					...(attempts !== undefined ? { attempts } : {})
				})
				.where(this.held(item))
		);
	}

	/**
	 * Every call to this item's model would fail the same way. With one model the job fails. With
	 * several, that model's items fail and the job goes on with the others; its error says which
	 * model was stopped and why. It fails once no item is done or left.
	 */
	private async refuseModel(context: JobContext, item: PendingItem, message: string, now: number) {
		const target = item.modelId !== null ? context.models.get(item.modelId) : undefined;
		if (!target || context.models.size === 1) {
			await this.failJob(context.job.id, message, now);
			return;
		}
		const jobId = context.job.id;
		const note = `Stopped asking ${target.model.name} (${target.provider.name}): ${message}`;
		let inFlight: { id: number }[] = [];
		const jobFailed = await this.db.transaction(async (tx) => {
			const ofModel = and(
				eq(jobItem.jobId, jobId),
				eq(jobItem.modelId, target.model.id),
				eq(jobItem.status, 'running')
			);
			inFlight = await tx.select({ id: jobItem.id }).from(jobItem).where(ofModel);
			const stopped = await changedRows(
				tx
					.update(jobItem)
					.set({ status: 'failed', error: message, finishedAt: new Date(now) })
					.where(
						and(
							eq(jobItem.jobId, jobId),
							eq(jobItem.modelId, target.model.id),
							inArray(jobItem.status, ['pending', 'running'])
						)
					)
			);
			// A call that was in flight when its model was stopped: already counted.
			if (stopped === 0) return false;
			const earlier = (
				await tx.select({ error: job.error }).from(job).where(eq(job.id, jobId)).limit(1)
			)[0];
			const error = earlier?.error ? `${earlier.error}; ${note}` : note;
			const workLeft = (
				await tx
					.select({ n: sql<number>`count(*)` })
					.from(jobItem)
					.where(
						and(eq(jobItem.jobId, jobId), inArray(jobItem.status, ['pending', 'running', 'done']))
					)
					.limit(1)
			)[0]!.n;
			await tx
				.update(job)
				.set(workLeft === 0 ? { status: 'failed', error, finishedAt: new Date(now) } : { error })
				.where(eq(job.id, jobId));
			return workLeft === 0;
		});
		this.log(`job ${jobId}: ${note}`);
		// The model's other calls would meet the same refusal: they are not waited for.
		for (const { id } of inFlight) this.inFlight.get(jobId)?.get(id)?.abort();
		if (jobFailed) {
			this.contexts.delete(jobId);
			for (const c of this.inFlight.get(jobId)?.values() ?? []) c.abort();
		}
	}

	/** Every item would fail the same way (a refused key, an unknown model): stop the job. */
	private async failJob(jobId: number, message: string, now: number) {
		this.log(`job ${jobId} failed: ${message}`);
		await this.db.transaction(async (tx) => {
			await tx
				.update(job)
				.set({ status: 'failed', error: message, finishedAt: new Date(now) })
				.where(eq(job.id, jobId));
			await tx
				.update(jobItem)
				.set({ status: 'failed', error: message, finishedAt: new Date(now) })
				.where(and(eq(jobItem.jobId, jobId), inArray(jobItem.status, ['pending', 'running'])));
		});
		this.contexts.delete(jobId);
		for (const c of this.inFlight.get(jobId)?.values() ?? []) c.abort();
	}

	/**
	 * Whether a following judge run must wait: its job may still write outputs, or wrote some
	 * since the last feed (taken in here, so the next look claims them).
	 */
	private async stillFollowing(found: Job): Promise<boolean> {
		if (found.followsJobId === null) return false;
		const followed = (
			await this.db
				.select({ status: job.status })
				.from(job)
				.where(eq(job.id, found.followsJobId))
				.limit(1)
		)[0];
		if (followed && ['pending', 'running', 'paused'].includes(followed.status)) return true;
		return (await this.write((tx) => feedFollowingRun(tx, found))) > 0;
	}

	private async finish(jobId: number, now: number) {
		const judged = this.contexts.get(jobId)?.judging ? this.contexts.get(jobId)!.job : null;
		// A finished judge run changes what its judge is measured on, and so the queue's order:
		// measured first, then saved with the run's end in one transaction.
		const target = judged
			? (await this.db.select().from(project).where(eq(project.id, judged.projectId)).limit(1))[0]
			: undefined;
		const trust = target ? await measureTrust(this.db, target) : null;
		await this.db.transaction(async (tx) => {
			const finished = await changedRows(
				tx
					.update(job)
					.set({ status: 'done', finishedAt: new Date(now) })
					.where(and(eq(job.id, jobId), eq(job.status, 'running')))
			);
			if (finished > 0 && target && trust) await applyTrust(tx, target.id, trust);
		});
		this.contexts.delete(jobId);
		this.inFlight.delete(jobId);
		this.answered.delete(jobId);
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
