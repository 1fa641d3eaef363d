import { and, desc, eq, gt, inArray, isNotNull, max, ne } from 'drizzle-orm';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { within, type Db, type Queryable, type Tx } from '../db';
import {
	example,
	job,
	jobItem,
	judge,
	judgePreference,
	judgment,
	model,
	revision,
	type Job,
	type Judge,
	type Project
} from '../db/schema';
import { JOB_SETTING_DEFAULTS, jobSettingsSchema } from '../../schemas/job';
import { listRequirements, requireOpenProject } from '../projects';
import { filterConditions } from '../examples';
import type { ExampleFilter } from '../../schemas/examples';
import { notStaged } from '../import/staging';
import {
	judgeRequest,
	parseJudgment,
	parsePreference,
	preferenceRequest,
	type JudgeRequirement,
	type ParsedJudgment,
	type ParsedPreference
} from './rubric';
import { refreshTriage } from './triage';
import { evaluationAnswers } from '../iterations/figures';

// Judge runs: a job of its own kind whose items are outputs to judge, worked by the runner
// under its rules (provider limits, retries, pause, resume, restarts, no item twice). What
// differs is here: what a judge run takes, the request for one item, and where its answer
// goes — a judgment bound to the revision judged, apart from people's reviews.

/** The judge, when it is this project's. */
export async function judgeOf(db: Queryable, projectId: number, judgeId: number) {
	return (
		await db
			.select()
			.from(judge)
			.where(and(eq(judge.projectId, projectId), eq(judge.id, judgeId)))
			.limit(1)
	)[0];
}

/** What a judge run judges: the current outputs of a selection of the project's examples. */
export type JudgeSelection =
	| { kind: 'queue' }
	| { kind: 'all' }
	| { kind: 'job'; jobId: number }
	| { kind: 'import'; importId: number }
	/** What the examples page shows with this filter; described in the words of its fields. */
	| { kind: 'filter'; filter: ExampleFilter; description: string };

export const SELECTION_LABELS = {
	queue: 'Outputs still waiting for reviews',
	all: 'Every output in the project',
	job: 'The outputs of one job',
	import: 'The outputs of one import'
} as const;

export function describeSelection(selection: JudgeSelection): string {
	if (selection.kind === 'filter')
		return `the outputs the examples filter selects (${selection.description})`;
	if (selection.kind === 'job') return `the outputs of job ${selection.jobId}`;
	if (selection.kind === 'import') return `the outputs of import ${selection.importId}`;
	return SELECTION_LABELS[selection.kind].toLowerCase();
}

/**
 * Starts a judge run over the selection's current revisions that this judge has not judged
 * yet: one transaction, all items or none. Refused, with the reason, when there is nothing to
 * judge or the judge has no model.
 */
export async function startJudgeRun(
	db: Db,
	target: Project,
	judgeId: number,
	selection: JudgeSelection,
	userId: string,
	options: { concurrency?: number } = {},
	now = new Date()
): Promise<{ ok: true; jobId: number; items: number } | { ok: false; message: string }> {
	return within(db, async (tx) => {
		const runnable = await runnableJudge(tx, target.id, judgeId);
		if (!runnable.ok) return runnable;
		const found = runnable.judge;
		const chosen = [
			eq(example.projectId, target.id),
			isNotNull(revision.output),
			notStaged(),
			selection.kind === 'queue' ? inArray(example.status, ['queued', 'in_review']) : undefined,
			selection.kind === 'job' ? eq(example.jobId, selection.jobId) : undefined,
			selection.kind === 'import' ? eq(example.importId, selection.importId) : undefined,
			...(selection.kind === 'filter' ? filterConditions(tx, target.id, selection.filter) : [])
		];
		const outputs = await tx
			.select({ input: example.input, inputHash: example.inputHash, revisionId: revision.id })
			.from(example)
			.innerJoin(revision, eq(revision.id, example.currentRevisionId))
			.where(and(...chosen))
			.orderBy(example.id);
		if (outputs.length === 0) {
			return { ok: false, message: 'This selection holds no output to judge.' };
		}
		const judged = new Set(
			(
				await tx
					.select({ revisionId: judgment.revisionId })
					.from(judgment)
					.where(eq(judgment.judgeId, judgeId))
			).map((j) => j.revisionId)
		);
		const fresh = outputs.filter((o) => !judged.has(o.revisionId));
		if (fresh.length === 0) {
			return {
				ok: false,
				message: `This judge has rated every output in this selection already (${outputs.length}); a repaired output is judged afresh.`
			};
		}
		const created = await insertJudgeRun(tx, target, found, userId, now, {
			description: describeSelection(selection),
			concurrency: options.concurrency
		});
		// Bound values per statement stay far below SQLite's limit at 500 rows of 6.
		for (let i = 0; i < fresh.length; i += 500) {
			await tx.insert(jobItem).values(
				fresh.slice(i, i + 500).map((o) => ({
					jobId: created.id,
					input: o.input,
					inputHash: o.inputHash,
					modelId: found.modelId,
					judgedRevisionId: o.revisionId,
					// Unique within the run as the item key asks: one input may have several outputs.
					sampleIndex: o.revisionId
				}))
			);
		}
		return { ok: true, jobId: created.id, items: fresh.length };
	});
}

/** A judge run's job row; its items are added by whoever starts or feeds it. */
async function insertJudgeRun(
	tx: Tx,
	target: Project,
	found: Judge,
	userId: string | null,
	now: Date,
	run: {
		description: string;
		concurrency?: number;
		followsJobId?: number;
		/** A pairwise run's two models, the first the baseline: its outputs are A when compared. */
		pairwise?: [number, number];
	}
) {
	await requireOpenProject(tx, target.id);
	const settings = jobSettingsSchema.parse({
		...JOB_SETTING_DEFAULTS,
		concurrency: String(run.concurrency ?? 4)
	});
	const { concurrency, ...rest } = settings;
	return (
		await tx
			.insert(job)
			.values({
				projectId: target.id,
				kind: 'judge',
				status: 'running',
				modelId: found.modelId,
				judgeId: found.id,
				followsJobId: run.followsJobId ?? null,
				config: JSON.stringify({
					...rest,
					source: { kind: 'judge', description: run.description },
					...(run.pairwise ? { pairwise: run.pairwise } : {})
				}),
				concurrency,
				createdBy: userId,
				createdAt: now,
				startedAt: now
			})
			.returning({ id: job.id })
	)[0];
}

/** The judge, when it is this project's and still has a model to call; else why not. */
export async function runnableJudge(
	db: Queryable,
	projectId: number,
	judgeId: number
): Promise<{ ok: true; judge: Judge } | { ok: false; message: string }> {
	const found = await judgeOf(db, projectId, judgeId);
	if (!found) return { ok: false, message: 'No such judge in this project.' };
	if (found.modelId === null) {
		return {
			ok: false,
			message: 'The judge’s model was removed: choose another model for it first.'
		};
	}
	return { ok: true, judge: found };
}

/**
 * A judge run that judges a job's outputs as they arrive, started with the job in its
 * transaction. It has no items yet: the runner feeds it each output the job writes
 * (`feedFollowingRun`) and ends it once the job has stopped and everything is judged.
 */
export async function followJobWithJudge(
	tx: Tx,
	target: Project,
	judgeId: number,
	followedJobId: number,
	userId: string | null,
	now: Date
): Promise<number | null> {
	const runnable = await runnableJudge(tx, target.id, judgeId);
	if (!runnable.ok) return null;
	const created = await insertJudgeRun(tx, target, runnable.judge, userId, now, {
		description: `the outputs of job ${followedJobId}, as they arrive`,
		followsJobId: followedJobId
	});
	return created.id;
}

/**
 * Adds to a following judge run the outputs its job wrote since the last feed: the job's
 * examples whose current revision is newer than any the run holds. Returns how many; in the
 * runner's claim transaction, so no output is taken in twice.
 */
export async function feedFollowingRun(
	tx: Tx,
	run: Pick<Job, 'id' | 'followsJobId' | 'modelId'>
): Promise<number> {
	if (run.followsJobId === null) return 0;
	const newest = (
		await tx
			.select({ revisionId: max(jobItem.judgedRevisionId) })
			.from(jobItem)
			.where(eq(jobItem.jobId, run.id))
	)[0]?.revisionId;
	const arrived = await tx
		.select({ input: example.input, inputHash: example.inputHash, revisionId: revision.id })
		.from(example)
		.innerJoin(revision, eq(revision.id, example.currentRevisionId))
		.where(
			and(
				eq(example.jobId, run.followsJobId),
				gt(example.currentRevisionId, newest ?? 0),
				isNotNull(revision.output),
				notStaged()
			)
		)
		.orderBy(example.currentRevisionId);
	for (let i = 0; i < arrived.length; i += 500) {
		await tx.insert(jobItem).values(
			arrived.slice(i, i + 500).map((o) => ({
				jobId: run.id,
				input: o.input,
				inputHash: o.inputHash,
				modelId: run.modelId,
				judgedRevisionId: o.revisionId,
				sampleIndex: o.revisionId
			}))
		);
	}
	return arrived.length;
}

/**
 * A pairwise judge run: the two models' latest answers to each held-out input both answered,
 * each pair asked in both orders so that a judge's leaning to the first or second cancels.
 * Pairs this judge has already compared in an order are not asked again in that order.
 */
export async function startPairwiseRun(
	db: Db,
	target: Project,
	judgeId: number,
	models: [number, number],
	userId: string,
	options: { concurrency?: number } = {},
	now = new Date()
): Promise<{ ok: true; jobId: number; items: number } | { ok: false; message: string }> {
	if (models[0] === models[1]) return { ok: false, message: 'Choose two different models.' };
	const { heldOut } = await evaluationAnswers(db, target);
	const [baseline, challenger] = models.map((id) => heldOut.get(id));
	if (!baseline || !challenger) {
		return {
			ok: false,
			message: 'Both models need answers to held-out inputs: evaluate them first.'
		};
	}
	const pairs = [...baseline].flatMap(([hash, a]) => {
		const b = challenger.get(hash);
		return b ? [{ input: a, a: a.revisionId, b: b.revisionId }] : [];
	});
	if (pairs.length === 0) {
		return { ok: false, message: 'The two models answered no held-out input in common.' };
	}
	return within(db, async (tx) => {
		const runnable = await runnableJudge(tx, target.id, judgeId);
		if (!runnable.ok) return runnable;
		const found = runnable.judge;
		const asked = new Set(
			(
				await tx
					.select({
						first: judgePreference.firstRevisionId,
						second: judgePreference.secondRevisionId
					})
					.from(judgePreference)
					.where(eq(judgePreference.judgeId, judgeId))
			).map((p) => `${p.first}:${p.second}`)
		);
		// Nor is a pair another run of this judge still has to ask.
		for (const waiting of await tx
			.select({ first: jobItem.judgedRevisionId, second: jobItem.versusRevisionId })
			.from(jobItem)
			.innerJoin(job, eq(job.id, jobItem.jobId))
			.where(
				and(
					eq(job.judgeId, judgeId),
					isNotNull(jobItem.versusRevisionId),
					inArray(jobItem.status, ['pending', 'running'])
				)
			)) {
			asked.add(`${waiting.first}:${waiting.second}`);
		}
		// The answers were read before this transaction: only those still there are asked.
		const present = new Set<number>();
		const wanted = pairs.flatMap((p) => [p.a, p.b]);
		for (let i = 0; i < wanted.length; i += 5000) {
			for (const r of await tx
				.select({ id: revision.id })
				.from(revision)
				.where(inArray(revision.id, wanted.slice(i, i + 5000)))) {
				present.add(r.id);
			}
		}
		const items = pairs
			.filter((p) => present.has(p.a) && present.has(p.b))
			.flatMap((p) => [
				{ first: p.a, second: p.b, hash: p.input.inputHash },
				{ first: p.b, second: p.a, hash: p.input.inputHash }
			])
			.filter((order) => !asked.has(`${order.first}:${order.second}`));
		if (items.length === 0) {
			return {
				ok: false,
				message: `This judge has compared these two models on every input already (${pairs.length}).`
			};
		}
		const names = new Map(
			(
				await tx
					.select({ id: model.id, name: model.name })
					.from(model)
					.where(inArray(model.id, models))
			).map((m) => [m.id, m.name])
		);
		const created = await insertJudgeRun(tx, target, found, userId, now, {
			description: `${names.get(models[1])} against ${names.get(models[0])}, each pair in both orders`,
			concurrency: options.concurrency,
			pairwise: models
		});
		const inputs = new Map<string, string>();
		for (let i = 0; i < pairs.length; i += 5000) {
			const ids = pairs.slice(i, i + 5000).map((p) => p.input.exampleId);
			for (const e of await tx
				.select({ inputHash: example.inputHash, input: example.input })
				.from(example)
				.where(inArray(example.id, ids))) {
				inputs.set(e.inputHash, e.input);
			}
		}
		for (let i = 0; i < items.length; i += 500) {
			await tx.insert(jobItem).values(
				items.slice(i, i + 500).map((o) => ({
					jobId: created.id,
					input: inputs.get(o.hash) ?? '',
					inputHash: o.hash,
					modelId: found.modelId,
					judgedRevisionId: o.first,
					versusRevisionId: o.second,
					sampleIndex: o.first
				}))
			);
		}
		return { ok: true, jobId: created.id, items: items.length };
	});
}

/** A judge's runs, newest first, with how far each got. */
export async function judgeRuns(db: Db, projectId: number, judgeId: number) {
	return await db
		.select({
			id: job.id,
			status: job.status,
			config: job.config,
			createdAt: job.createdAt,
			error: job.error
		})
		.from(job)
		.where(and(eq(job.projectId, projectId), eq(job.judgeId, judgeId)))
		.orderBy(desc(job.id))
		.limit(20);
}

/** What the runner keeps for a judge run while it works it. */
export type Judging = {
	judge: Judge;
	task: Project;
	requirements: JudgeRequirement[];
};

/** The judge of a run, or null when it was deleted (the run is then failed, not worked). */
export async function judgingFor(db: Db, found: Job, task: Project): Promise<Judging | null> {
	if (found.judgeId === null) return null;
	const chosen = (await db.select().from(judge).where(eq(judge.id, found.judgeId)).limit(1))[0];
	if (!chosen) return null;
	return { judge: chosen, task, requirements: await listRequirements(db, task.id) };
}

/** What a judge run's item judges: one output, or two compared (shown in this order). */
export type JudgedItem = { judgedRevisionId: number | null; versusRevisionId: number | null };

async function shownOutput(db: Queryable, revisionId: number) {
	const shown = (
		await db
			.select({
				exampleId: example.id,
				input: example.input,
				inputHash: example.inputHash,
				output: revision.output
			})
			.from(revision)
			.innerJoin(example, eq(example.id, revision.exampleId))
			.where(eq(revision.id, revisionId))
			.limit(1)
	)[0];
	if (!shown) throw new Error('The output to judge is gone.');
	return shown;
}

/**
 * The request for one item: the judged revision's output, its example's input, and, when the
 * judge asks for one, a reference — another example with the same input whose output people
 * accepted (the teacher's answer, when a student's evaluation output is judged). A pairwise
 * item shows its two outputs in its own order instead.
 */
export async function judgeRequestFor(
	db: Queryable,
	judging: Judging,
	modelName: string,
	item: JudgedItem
): Promise<ChatCompletionCreateParamsNonStreaming> {
	const settings = { rubric: judging.judge.rubric, temperature: judging.judge.temperature };
	const shown = await shownOutput(db, item.judgedRevisionId!);
	if (item.versusRevisionId !== null) {
		const second = await shownOutput(db, item.versusRevisionId);
		return preferenceRequest(modelName, settings, judging.task, judging.requirements, {
			input: shown.input,
			first: shown.output ?? '',
			second: second.output ?? ''
		});
	}
	let reference: string | null = null;
	if (judging.judge.withReference) {
		const accepted = (
			await db
				.select({ output: revision.output })
				.from(example)
				.innerJoin(revision, eq(revision.id, example.currentRevisionId))
				.where(
					and(
						eq(example.projectId, judging.task.id),
						eq(example.inputHash, shown.inputHash),
						eq(example.status, 'accepted'),
						ne(example.id, shown.exampleId)
					)
				)
				.orderBy(example.id)
				.limit(1)
		)[0];
		reference = accepted?.output ?? null;
	}
	return judgeRequest(modelName, settings, judging.task, judging.requirements, {
		input: shown.input,
		output: shown.output ?? '',
		reference
	});
}

export type JudgeAnswer =
	| (Extract<ParsedJudgment, { ok: true }> & { kind: 'rating' })
	| (Extract<ParsedPreference, { ok: true }> & { kind: 'preference' })
	| { ok: false; reason: string };

/** A judge's answer to one item, read as a rating or, for a pair, a preference. */
export function readJudgeAnswer(judging: Judging, item: JudgedItem, content: string): JudgeAnswer {
	if (item.versusRevisionId !== null) {
		const parsed = parsePreference(content);
		return parsed.ok ? { ...parsed, kind: 'preference' } : parsed;
	}
	const parsed = parseJudgment(content, judging.task.ratingScale, judging.requirements);
	return parsed.ok ? { ...parsed, kind: 'rating' } : parsed;
}

/** Keeps a judge's answer, in the runner's write of the item. */
export async function saveJudgeAnswer(
	tx: Tx,
	judgeId: number,
	item: JudgedItem,
	answer: Extract<JudgeAnswer, { ok: true }>,
	now: Date
) {
	if (answer.kind === 'rating') {
		await saveJudgment(tx, judgeId, item.judgedRevisionId!, answer, now);
		return;
	}
	const values = { winner: answer.winner, rationale: answer.rationale, createdAt: now };
	await tx
		.insert(judgePreference)
		.values({
			judgeId,
			firstRevisionId: item.judgedRevisionId!,
			secondRevisionId: item.versusRevisionId!,
			...values
		})
		.onConflictDoUpdate({
			target: [
				judgePreference.judgeId,
				judgePreference.firstRevisionId,
				judgePreference.secondRevisionId
			],
			set: values
		});
}

/** Keeps a judge's rating of a revision; a later run's rating of the same revision replaces it. */
export async function saveJudgment(
	tx: Tx,
	judgeId: number,
	revisionId: number,
	parsed: Extract<ParsedJudgment, { ok: true }>,
	now: Date
) {
	const owner = (
		await tx
			.select({ exampleId: revision.exampleId, projectId: example.projectId })
			.from(revision)
			.innerJoin(example, eq(example.id, revision.exampleId))
			.where(eq(revision.id, revisionId))
			.limit(1)
	)[0];
	if (!owner) return;
	const values = {
		rating: parsed.rating,
		rationale: parsed.rationale,
		requirementRatings: JSON.stringify(parsed.requirements),
		createdAt: now
	};
	await tx
		.insert(judgment)
		.values({ judgeId, exampleId: owner.exampleId, revisionId, ...values })
		.onConflictDoUpdate({ target: [judgment.judgeId, judgment.revisionId], set: values });
	await refreshTriage(tx, owner.projectId, [owner.exampleId]);
}

/** Judge runs of a judge that are still to be worked: a deleted judge's are cancelled first. */
export async function cancelRunsOf(tx: Tx, judgeId: number, now: Date) {
	const running = await tx
		.select({ id: job.id })
		.from(job)
		.where(and(eq(job.judgeId, judgeId), inArray(job.status, ['pending', 'running', 'paused'])));
	const ids = running.map((r) => r.id);
	if (ids.length > 0) {
		await tx
			.update(jobItem)
			.set({ status: 'cancelled', leaseOwner: null, leaseExpiresAt: null })
			.where(and(inArray(jobItem.jobId, ids), inArray(jobItem.status, ['pending', 'running'])));
		await tx
			.update(job)
			.set({ status: 'cancelled', finishedAt: now, error: 'Its judge was deleted.' })
			.where(inArray(job.id, ids));
	}
	await tx.update(job).set({ judgeId: null }).where(eq(job.judgeId, judgeId));
	return ids.length;
}
