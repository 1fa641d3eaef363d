import { and, asc, count, desc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import { median } from '../../agreement';
import { within, type Db, type Tx } from '../db';
import { example, job, jobItem, model, provider, type Job, type Project } from '../db/schema';
import { followJobWithJudge } from '../judges/run';
import { exampleIdsMatching } from '../examples';
import {
	parseImport,
	rowRules,
	type ImportFormat,
	type ImportSource,
	type LineError
} from '../import';
import { hashText } from '../split';
import { holdOpenProject, PROJECT_ARCHIVED, requireOpenProject } from '../projects';
import type { ExampleFilter } from '../../schemas/examples';
import type { JobSettings } from '../../schemas/job';

// Distillation jobs: a teacher model (or several) over a list of inputs. A job is stored with
// one row per item (input × model × sample) so that a restart knows exactly what is left; the
// runner (runner.ts) works the items.

export type JobConfig = Omit<JobSettings, 'concurrency'> & {
	/** Documents jobs: how the teacher is asked for pairs, and how many per passage. */
	pairPrompt?: string;
	pairsPerPassage?: number;
	source:
		| { kind: 'file'; filename: string }
		| { kind: 'examples' | 'synthetic' | 'documents' | 'judge'; description: string };
};

export type InputsResult =
	| { ok: true; inputs: string[]; rowsRead: number }
	| { ok: false; rowsRead: number; errors: LineError[] };

/** A file of inputs, read with the import's rules: every bad line is reported. */
export async function parseJobInputs(
	target: Project,
	source: ImportSource,
	format: ImportFormat
): Promise<InputsResult> {
	const parsed = await parseImport(source, format, rowRules(target));
	if (parsed.errors.length > 0) {
		return { ok: false, rowsRead: parsed.rowsRead, errors: parsed.errors };
	}
	if (parsed.rows.length === 0) {
		return {
			ok: false,
			rowsRead: 0,
			errors: [{ line: 1, message: 'the file has no inputs' }]
		};
	}
	return { ok: true, inputs: parsed.rows.map((r) => r.input), rowsRead: parsed.rowsRead };
}

/** The distinct inputs of the examples a filter selects, oldest first (the re-tune loop's way). */
export async function inputsOfExamples(
	db: Db,
	projectId: number,
	filter: ExampleFilter
): Promise<string[]> {
	const ids = await exampleIdsMatching(db, projectId, filter);
	const inputs = new Set<string>();
	// SQLite takes at most 32,766 bound values in one statement.
	for (let i = 0; i < ids.length; i += 10_000) {
		const rows = await db
			.select({ input: example.input })
			.from(example)
			.where(inArray(example.id, ids.slice(i, i + 10_000)))
			.orderBy(asc(example.id));
		for (const row of rows) inputs.add(row.input);
	}
	return [...inputs];
}

// SQLite takes at most 32,766 bound values in one statement, and drizzle binds a value for
// every column of every row, defaults included.
const ITEMS_PER_INSERT = Math.floor(32_766 / Object.keys(getTableColumns(jobItem)).length);

export type NewJob = {
	modelIds: number[];
	settings: JobSettings;
	inputs: string[];
	source: JobConfig['source'];
	kind?: 'distill' | 'evaluation' | 'documents';
	pairs?: { pairPrompt: string; pairsPerPassage: number };
	/** A judge that judges each output as it arrives, in a judge run started with the job. */
	judgeId?: number | null;
};

/**
 * Stores the job and all its items in one transaction, running. The same input given twice
 * is asked once; each model answers each input `samplesPerInput` times. With a judge, its
 * following run starts in the same transaction (a judge gone by then starts none).
 */
export async function createJob(
	db: Db | Tx,
	target: Project,
	userId: string | null,
	spec: NewJob,
	now = new Date()
): Promise<number> {
	const { concurrency, ...rest } = spec.settings;
	const config: JobConfig = { ...rest, ...spec.pairs, source: spec.source };
	const unique = [...new Map(spec.inputs.map((input) => [hashText(input), input]))];
	return await within(db, async (tx) => {
		await requireOpenProject(tx, target.id);
		const created = (
			await tx
				.insert(job)
				.values({
					projectId: target.id,
					kind: spec.kind ?? 'distill',
					status: 'running',
					modelId: spec.modelIds[0],
					config: JSON.stringify(config),
					concurrency,
					createdBy: userId,
					createdAt: now,
					startedAt: now
				})
				.returning({ id: job.id })
		)[0];
		const rows =
			spec.kind === 'evaluation'
				? evaluationLayout(unique, spec.modelIds, spec.settings.samplesPerInput)
				: unique.flatMap(([inputHash, input]) =>
						spec.modelIds.flatMap((modelId, m) =>
							Array.from({ length: spec.settings.samplesPerInput }, (_, s) => ({
								input,
								inputHash,
								modelId,
								sampleIndex: m * spec.settings.samplesPerInput + s
							}))
						)
					);
		for (let i = 0; i < rows.length; i += ITEMS_PER_INSERT) {
			await tx
				.insert(jobItem)
				.values(rows.slice(i, i + ITEMS_PER_INSERT).map((row) => ({ ...row, jobId: created.id })));
		}
		if (spec.judgeId) {
			await followJobWithJudge(tx, target, spec.judgeId, created.id, userId, now);
		}
		return created.id;
	});
}

/**
 * Items are worked, and so reach the queue, in id order. An evaluation's are laid out so that
 * neighbours are different models on different inputs, and one input's answers by two models
 * are far apart: an annotator sees no run of one model, and no two answers to one question
 * side by side. Inputs go in the order of their hash, which is fixed and unrelated to the file.
 */
function evaluationLayout(inputs: [string, string][], modelIds: number[], samples: number) {
	const ordered = [...inputs].sort(([a], [b]) => (a < b ? -1 : 1));
	const stride = Math.max(1, Math.floor(ordered.length / modelIds.length));
	return ordered.flatMap((_, i) =>
		modelIds.flatMap((modelId, m) => {
			const [inputHash, input] = ordered[(i + m * stride) % ordered.length];
			return Array.from({ length: samples }, (_, s) => ({
				input,
				inputHash,
				modelId,
				sampleIndex: m * samples + s
			}));
		})
	);
}

export function jobConfigOf(found: Pick<Job, 'config'>): JobConfig {
	return JSON.parse(found.config) as JobConfig;
}

export async function getJob(db: Db, projectId: number, jobId: number): Promise<Job | undefined> {
	return (
		await db
			.select()
			.from(job)
			.where(and(eq(job.id, jobId), eq(job.projectId, projectId)))
			.limit(1)
	)[0];
}

export type ItemCounts = Record<'pending' | 'running' | 'done' | 'failed' | 'cancelled', number>;

async function itemCounts(db: Db, jobIds: number[]): Promise<Map<number, ItemCounts>> {
	const counts = new Map<number, ItemCounts>();
	if (jobIds.length === 0) return counts;
	const rows = await db
		.select({ jobId: jobItem.jobId, status: jobItem.status, n: count() })
		.from(jobItem)
		.where(inArray(jobItem.jobId, jobIds))
		.groupBy(jobItem.jobId, jobItem.status);
	for (const id of jobIds)
		counts.set(id, { pending: 0, running: 0, done: 0, failed: 0, cancelled: 0 });
	for (const row of rows) counts.get(row.jobId)![row.status] = row.n;
	return counts;
}

export type JobProgress = {
	id: number;
	kind: Job['kind'];
	status: Job['status'];
	error: string | null;
	models: string[];
	concurrency: number;
	counts: ItemCounts;
	total: number;
	/** Share of items finished (done, failed or cancelled), 0 to 1. */
	finished: number;
	inputTokens: number;
	outputTokens: number;
	cost: number;
	/** Items finished per minute since the job started; null before the first. */
	perMinute: number | null;
	/** Seconds left at that rate; null when unknown or nothing is left. */
	etaSeconds: number | null;
	createdAt: Date;
	startedAt: Date | null;
	finishedAt: Date | null;
};

async function modelNames(db: Db, jobIds: number[]): Promise<Map<number, string[]>> {
	const names = new Map<number, string[]>();
	if (jobIds.length === 0) return names;
	const rows = await db
		.selectDistinct({ jobId: jobItem.jobId, name: model.name, provider: provider.name })
		.from(jobItem)
		.innerJoin(model, eq(model.id, jobItem.modelId))
		.innerJoin(provider, eq(provider.id, model.providerId))
		.where(inArray(jobItem.jobId, jobIds));
	for (const row of rows) {
		names.set(row.jobId, [...(names.get(row.jobId) ?? []), `${row.name} (${row.provider})`]);
	}
	return names;
}

function progressOf(found: Job, counts: ItemCounts, models: string[], now: Date): JobProgress {
	const total = Object.values(counts).reduce((a, b) => a + b, 0);
	const finishedItems = counts.done + counts.failed + counts.cancelled;
	const left = counts.pending + counts.running;
	const end = found.finishedAt ?? now;
	const minutes = found.startedAt ? (end.getTime() - found.startedAt.getTime()) / 60_000 : 0;
	const perMinute =
		minutes > 0 && counts.done + counts.failed > 0 ? (counts.done + counts.failed) / minutes : null;
	return {
		id: found.id,
		kind: found.kind,
		status: found.status,
		error: found.error,
		models,
		concurrency: found.concurrency,
		counts,
		total,
		finished: total === 0 ? 1 : finishedItems / total,
		inputTokens: found.inputTokens,
		outputTokens: found.outputTokens,
		cost: found.cost,
		perMinute,
		etaSeconds:
			perMinute && left > 0 && found.status === 'running' ? (left / perMinute) * 60 : null,
		createdAt: found.createdAt,
		startedAt: found.startedAt,
		finishedAt: found.finishedAt
	};
}

export async function jobProgress(db: Db, found: Job, now = new Date()): Promise<JobProgress> {
	return (await jobsProgress(db, [found], now))[0];
}

/** The progress of several jobs, read in two queries whatever their number. */
export async function jobsProgress(db: Db, jobs: Job[], now = new Date()): Promise<JobProgress[]> {
	const ids = jobs.map((j) => j.id);
	const counts = await itemCounts(db, ids);
	const names = await modelNames(db, ids);
	return jobs.map((j) => progressOf(j, counts.get(j.id)!, names.get(j.id) ?? [], now));
}

export async function listJobs(
	db: Db,
	projectId: number,
	now = new Date()
): Promise<JobProgress[]> {
	const jobs = await db
		.select()
		.from(job)
		.where(eq(job.projectId, projectId))
		.orderBy(desc(job.createdAt), desc(job.id))
		.limit(100);
	return jobsProgress(db, jobs, now);
}

export type CallInFlight = { id: number; input: string; attempts: number; ageSeconds: number };
export type InFlight = {
	/** The oldest calls first: a stuck call is seen at the top. */
	calls: CallInFlight[];
	/** The median time a finished call of this job took, over its last 100. */
	medianLatencySeconds: number | null;
	/** Seconds left, from the calls in flight and how long a call takes; null when unknown. */
	etaSeconds: number | null;
};

/**
 * Time left, read from the calls in flight: n calls at once, each taking about L seconds,
 * finish n items every L seconds, so the items waiting take waiting / n × L; the calls now
 * in flight finish in about L less their median age. Null without a call in flight or a
 * finished one to time (the rate since the start is the fallback).
 */
export function timeLeftFromCalls(
	waiting: number,
	ageSeconds: number[],
	medianLatencySeconds: number | null
): number | null {
	if (ageSeconds.length === 0 || medianLatencySeconds === null) return null;
	const age = median(ageSeconds)!;
	const current = Math.max(0, medianLatencySeconds - age);
	return (waiting / ageSeconds.length) * medianLatencySeconds + current;
}

/** A running job's calls in flight, their age and attempts, and the time left from them. */
export async function callsInFlight(
	db: Db,
	found: Job,
	now = new Date(),
	limit = 20
): Promise<InFlight> {
	const [running, latencies, waiting] = await Promise.all([
		db
			.select({
				id: jobItem.id,
				input: sql<string>`substr(${jobItem.input}, 1, 120)`,
				attempts: jobItem.attempts,
				startedAt: jobItem.startedAt
			})
			.from(jobItem)
			.where(and(eq(jobItem.jobId, found.id), eq(jobItem.status, 'running'))),
		db
			.select({ latencyMs: jobItem.latencyMs })
			.from(jobItem)
			.where(and(eq(jobItem.jobId, found.id), eq(jobItem.status, 'done')))
			.orderBy(desc(jobItem.id))
			.limit(100),
		db
			.select({ n: count() })
			.from(jobItem)
			.where(and(eq(jobItem.jobId, found.id), eq(jobItem.status, 'pending')))
			.limit(1)
	]);
	const ages = running.map((r) => ({
		...r,
		ageSeconds: r.startedAt ? Math.max(0, (now.getTime() - r.startedAt.getTime()) / 1000) : 0
	}));
	const medianLatencySeconds = median(
		latencies.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs / 1000]))
	);
	return {
		calls: ages
			.sort((a, b) => b.ageSeconds - a.ageSeconds)
			.slice(0, limit)
			.map(({ id, input, attempts, ageSeconds }) => ({ id, input, attempts, ageSeconds })),
		medianLatencySeconds,
		etaSeconds:
			found.status === 'running'
				? timeLeftFromCalls(
						Number(waiting[0]?.n ?? 0),
						ages.map((a) => a.ageSeconds),
						medianLatencySeconds
					)
				: null
	};
}

/** The items that failed, with why, for the job page. */
export async function failedItems(db: Db, jobId: number, limit = 50) {
	return await db
		.select({
			id: jobItem.id,
			input: sql<string>`substr(${jobItem.input}, 1, 200)`,
			attempts: jobItem.attempts,
			error: jobItem.error
		})
		.from(jobItem)
		.where(and(eq(jobItem.jobId, jobId), eq(jobItem.status, 'failed')))
		.orderBy(asc(jobItem.id))
		.limit(limit);
}

export type ControlResult = { ok: true } | { ok: false; message: string };

const ALLOWED: Record<'pause' | 'resume' | 'cancel', Job['status'][]> = {
	pause: ['running', 'pending'],
	resume: ['paused'],
	cancel: ['running', 'pending', 'paused']
};

/**
 * Pause stops new calls (calls in flight finish and are kept); resume carries on; cancel
 * stops for good, and the items not yet done are cancelled, in one transaction.
 */
export async function controlJob(
	db: Db,
	projectId: number,
	jobId: number,
	action: 'pause' | 'resume' | 'cancel',
	now = new Date()
): Promise<ControlResult> {
	return await db.transaction(async (tx) => {
		const found = (
			await tx
				.select({ status: job.status })
				.from(job)
				.where(and(eq(job.id, jobId), eq(job.projectId, projectId)))
				.limit(1)
		)[0];
		if (!found) return { ok: false, message: 'No such job in this project.' };
		if (!ALLOWED[action].includes(found.status)) {
			return { ok: false, message: `A ${found.status} job cannot be ${action}d.` } as const;
		}
		if (action === 'resume' && !(await holdOpenProject(tx, projectId))) {
			return { ok: false, message: PROJECT_ARCHIVED } as const;
		}
		const status = action === 'pause' ? 'paused' : action === 'resume' ? 'running' : 'cancelled';
		await tx
			.update(job)
			.set({ status, finishedAt: action === 'cancel' ? now : null })
			.where(eq(job.id, jobId));
		if (action === 'cancel') {
			await tx
				.update(jobItem)
				.set({ status: 'cancelled', finishedAt: now })
				.where(and(eq(jobItem.jobId, jobId), inArray(jobItem.status, ['pending', 'running'])));
		}
		return { ok: true } as const;
	});
}
