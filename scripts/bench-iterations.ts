// Measures the iteration page at size: 10,000 held-out inputs answered by 5 models, each
// answer reviewed once, seeded through the domain code (the evaluations' outputs written by
// the runner's own write path, without HTTP). The page's reads then run in a process of their
// own, so its peak memory is theirs.
//
//   npm run bench:iterations
//   npm run bench:iterations -- --inputs 2000 --models 3
//
// The last line is one JSON object: {"outputs", "models", "inputs", "answers_ms",
// "figures_ms", "side_by_side_ms", "page_ms", "peak_rss_mb"}.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { count, eq } from 'drizzle-orm';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { mulberry32 } from '../src/lib/random';
import { createDb, createMigratedDb, type Db } from '../src/lib/server/db';
import { example, job, project as projectTable, review } from '../src/lib/server/db/schema';
import { type Project } from '../src/lib/server/db/schema';
import { freezeDataset, listDatasets } from '../src/lib/server/datasets';
import { insertRows, type ImportRow } from '../src/lib/server/import';
import { listIterations, startEvaluation } from '../src/lib/server/iterations';
import {
	evaluationAnswers,
	iterationFigures,
	sideBySide
} from '../src/lib/server/iterations/figures';
import { usageOf } from '../src/lib/server/jobs/prompt';
import { runnerStatements } from '../src/lib/server/jobs/statements';
import { addMember, createProject } from '../src/lib/server/projects';
import { addModel, createProvider, modelChoices } from '../src/lib/server/providers';
import { claimNext } from '../src/lib/server/queue';
import { parseQueuePriority, randomKey } from '../src/lib/server/queuePriority';
import { submitReview } from '../src/lib/server/reviews';
import { secretKeyFrom } from '../src/lib/server/secrets';
import { hashText, splitForInputHash } from '../src/lib/server/split';
import { createUser } from '../src/lib/server/users';
import { datasetFilterSchema } from '../src/lib/schemas/dataset';
import {
	EVALUATION_SETTING_DEFAULTS,
	evaluationSettingsSchema
} from '../src/lib/schemas/iteration';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../src/lib/schemas/project';

const { values: args } = parseArgs({
	options: {
		inputs: { type: 'string', default: '10000' },
		models: { type: 'string', default: '5' },
		phase: { type: 'string', default: 'main' },
		db: { type: 'string' }
	}
});
const INPUTS = Number(args.inputs);
const MODELS = Number(args.models);
const RUNS = 5;
const WORDS = 'order parcel refund courier invoice account late damaged missing'.split(' ');
const random = mulberry32(1);

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[numbers.length >> 1];
const round = (ms: number) => Math.round(ms * 10) / 10;
const prose = (opening: string, bytes: number) => {
	let text = opening;
	while (text.length < bytes) text += ` ${WORDS[Math.floor(random() * WORDS.length)]}`;
	return text;
};

/**
 * The page's load several times over, the figures code's parts timed, in a process of its own.
 * Its human lines go to stderr, so stdout carries only the JSON.
 */
async function measurePhase() {
	const db = createDb(args.db!);
	const target = (await db.select().from(projectTable).limit(1))[0]!;
	// What the page's load calls, in its order.
	const load = async () => {
		const started = performance.now();
		const loaded = await evaluationAnswers(db, target);
		const answered = performance.now();
		const figures = await iterationFigures(db, target, loaded, 'common');
		const figured = performance.now();
		const ids = figures.models.map((m) => m.modelId);
		const compared = await sideBySide(db, target, loaded, ids.at(-2)!, ids.at(-1)!, 1, 10);
		const sided = performance.now();
		await listIterations(db, target.id);
		await listDatasets(db, target.id);
		await modelChoices(db);
		const ms = {
			answers: answered - started,
			figures: figured - answered,
			sideBySide: sided - figured,
			page: performance.now() - started
		};
		return { loaded, figures, compared, ms };
	};
	const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;
	globalThis.gc?.();
	const before = process.memoryUsage();
	// In a scope of its own, so the first page's data is garbage once checked.
	// The event loop's delays are sampled only while a load runs, not while the script
	// collects garbage itself between loads.
	const stalls = monitorEventLoopDelay({ resolution: 1 });
	const watched = async () => {
		stalls.enable();
		const loaded = await load();
		stalls.disable();
		return loaded;
	};
	const firstMs = await (async () => {
		const { loaded, figures, compared, ms } = await watched();
		globalThis.gc?.();
		const heap = process.memoryUsage().heapUsed - before.heapUsed;
		console.error(
			`RSS before loading ${mb(before.rss)}; heap held by one page's data ${mb(heap)}; ` +
				`peak RSS after one page ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`
		);
		const short = figures.models.filter((m) => m.outputs !== INPUTS || m.rated !== INPUTS);
		if (
			loaded.answers.length !== INPUTS * MODELS ||
			figures.models.length !== MODELS ||
			figures.commonInputs !== INPUTS ||
			short.length > 0 ||
			figures.models.some((m) => !m.costPer1000 || m.latencyMedianMs === null) ||
			compared.total !== INPUTS ||
			compared.pairs.length !== Math.min(10, INPUTS)
		) {
			throw new Error(`the figures miss seeded answers: ${JSON.stringify(figures)}`);
		}
		for (const m of figures.models) {
			console.error(
				`${m.name}: ${m.outputs} outputs, mean ${m.meanRating?.toFixed(2)}, ` +
					`$${m.costPer1000?.toFixed(3)} per 1,000, median ${m.latencyMedianMs} ms`
			);
		}
		return ms;
	})();
	const runs = [firstMs];
	for (let i = 1; i < RUNS; i++) runs.push((await watched()).ms);
	// The longest the event loop was held at once: what another request would have waited.
	const longestStallMs = stalls.max / 1e6;
	console.error(`longest stall of the event loop ${round(longestStallMs)} ms`);
	console.error(`first page ${round(firstMs.page)} ms`);
	console.log(
		JSON.stringify({
			answers_ms: round(median(runs.map((r) => r.answers))),
			figures_ms: round(median(runs.map((r) => r.figures))),
			side_by_side_ms: round(median(runs.map((r) => r.sideBySide))),
			page_ms: round(median(runs.map((r) => r.page))),
			longest_stall_ms: round(longestStallMs),
			peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024)
		})
	);
}

/** Each of a job's items answered as the runner answers it, from marking it running onward. */
async function answerAll(db: Db, target: Project, jobId: number, models: Map<number, Prices>) {
	const statements = runnerStatements(db);
	const queued = parseQueuePriority(target.queuePriority);
	const priority = queued?.kind === 'job' && queued.jobId === jobId ? 1 : 0;
	const owner = 'bench';
	const claimed = await db.transaction(() =>
		statements.claimItems(
			{
				jobId,
				concurrency: Number.MAX_SAFE_INTEGER,
				owner,
				now: Date.now(),
				until: Date.now() + 3_600_000
			},
			async () => true
		)
	);
	for (const item of claimed) {
		const now = Date.now();
		const output = prose(`Model ${item.modelId} says:`, 600);
		const completion = {
			usage: {
				prompt_tokens: Math.ceil((target.instruction.length + item.input.length) / 4),
				completion_tokens: Math.ceil(output.length / 4)
			}
		} as ChatCompletion;
		const outcome = {
			id: item.id,
			leaseOwner: owner,
			leaseToken: item.leaseToken,
			status: 'done' as const,
			attempts: item.attempts + 1,
			error: null,
			...usageOf(completion, models.get(item.modelId!)!),
			latencyMs: Math.round(300 + random() * 1700),
			finishedAt: now
		};
		const written = await statements.finishItem(outcome, jobId, [
			{
				jobId,
				itemId: item.id,
				dedupeKey: `job:${jobId}:item:${item.id}`,
				projectId: target.id,
				input: item.input,
				inputHash: item.inputHash,
				conversationKey: null,
				split: splitForInputHash(item.inputHash, target),
				source: 'evaluation',
				priority,
				randomKey: randomKey(),
				output,
				reasoning: null,
				modelId: item.modelId!,
				reason: 'evaluation output',
				schemaValid: null,
				schemaErrors: null,
				at: new Date(now)
			}
		]);
		if (!written) throw new Error(`item ${item.id} was not running`);
	}
	// The runner's own finish is private to it.
	await db.transaction(async (tx) =>
		tx.update(job).set({ status: 'done', finishedAt: new Date() }).where(eq(job.id, jobId))
	);
}

type Prices = { inputPricePerMTok: number; outputPricePerMTok: number };

async function seed(db: Db) {
	const user = async (name: string, role: 'admin' | 'annotator') =>
		await createUser(db, {
			username: name,
			displayName: name,
			password: 'correct-horse-battery',
			role
		});
	const admin = await user('bench-admin', 'admin');
	const annotators = await Promise.all([1, 2].map((n) => user(`bench-rater-${n}`, 'annotator')));
	// The schema keeps some share for training, so inputs go on until enough land in test.
	const values = { name: 'Iterations bench', splitTrain: '10', splitVal: '0', splitTest: '90' };
	const target = await createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, ...values, instruction: 'Answer briefly.' }),
		admin.id
	);
	for (const a of annotators) await addMember(db, target.id, a.id);

	let started = performance.now();
	const rows: ImportRow[] = [];
	for (let i = 0, held = 0; held < INPUTS; i++) {
		const input = prose(`Ticket ${i}:`, 400);
		if (splitForInputHash(hashText(input), target) === 'test') held++;
		rows.push({ line: i + 1, externalId: null, input, output: prose('Sorry,', 600), tags: [] });
	}
	const meta = { userId: admin.id, filename: 'bench.jsonl', format: 'jsonl' } as const;
	await insertRows(db, target, rows, { ...meta, rowsRead: rows.length });
	await db.transaction(async (tx) =>
		tx
			.update(example)
			.set({ status: 'accepted', finalRating: 5, finalDecision: 'accept', claimable: false })
			.where(eq(example.projectId, target.id))
	);
	console.log(`imported ${rows.length.toLocaleString('en')} examples in ${seconds(started)}`);

	started = performance.now();
	// Nothing is called: the outputs are written as if it had answered.
	const provider = await createProvider(db, secretKeyFrom('bench-iterations'), {
		name: 'Bench',
		baseUrl: 'http://localhost:9/v1',
		apiKey: '',
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	const models = new Map<number, Prices>();
	for (let m = 1; m <= MODELS; m++) {
		const prices = { inputPricePerMTok: 0.5 * m, outputPricePerMTok: 2 * m };
		models.set((await addModel(db, provider.id, { name: `model-${m}`, ...prices })).id, prices);
	}
	const settings = evaluationSettingsSchema.parse(EVALUATION_SETTING_DEFAULTS);
	const frozen = await freezeDataset(db, target, 'bench', datasetFilterSchema.parse({}), admin.id);
	if (!frozen.ok) throw new Error(frozen.message);
	const run = await startEvaluation(db, target, admin.id, {
		modelIds: [...models.keys()],
		datasetId: frozen.datasetId,
		splits: ['test'],
		settings
	});
	if (!run.ok) throw new Error(run.message);
	await answerAll(db, target, run.jobId, models);
	const outputs = INPUTS * MODELS;
	console.log(`wrote ${outputs.toLocaleString('en')} evaluation outputs in ${seconds(started)}`);

	// Two annotators take turns at the queue, claiming and submitting as the review screen does.
	started = performance.now();
	const at = new Date();
	let reviewed = 0;
	for (let turn = 0, idle = 0; idle < annotators.length; turn++) {
		const annotator = annotators[turn % annotators.length];
		const claimed = await claimNext(db, target.id, annotator.id, at, [], undefined, 1);
		if (!claimed) {
			idle++;
			continue;
		}
		idle = 0;
		// Later models are better, so the figures differ between them.
		const modelIndex = [...models.keys()].indexOf(Number(claimed.output!.split(' ')[1]));
		const centre = 2.5 + modelIndex * 0.4;
		const rating = Math.min(5, Math.max(1, Math.round(centre + (random() - 0.5) * 3)));
		const decision = rating >= target.threshold ? 'accept' : 'reject';
		const submission = {
			exampleId: claimed.exampleId,
			revisionId: claimed.revisionId,
			rating,
			decision,
			requirementRatings: new Map<number, number>(),
			submissionKey: `bench-${reviewed}`
		} as const;
		const result = await submitReview(db, target.id, annotator.id, submission, at);
		if (!result.ok) throw new Error(result.message);
		reviewed++;
	}
	const reviews = (await db.select({ n: count() }).from(review).limit(1))[0]!.n;
	if (reviewed !== outputs || reviews !== outputs) {
		throw new Error(`${reviews} reviews for ${outputs} outputs`);
	}
	console.log(`reviewed ${reviewed.toLocaleString('en')} outputs in ${seconds(started)}`);
}

async function main() {
	const dir = mkdtempSync(join(tmpdir(), 'winnow-bench-iterations-'));
	const databaseFile = join(dir, 'bench.db');
	const seeding = performance.now();
	const db = await createMigratedDb(databaseFile);
	// Seeding commits once per output and review, as the runner and the review screen do; not
	// syncing each commit to disk keeps it quick, and the measurement reopens the file as the app does.
	db.$client.pragma('synchronous = OFF');
	await seed(db);
	db.$client.close();
	console.log(`seeded in ${seconds(seeding)}`);

	const child = spawnSync(
		process.execPath,
		[
			...['--expose-gc', '--import', 'tsx', 'scripts/bench-iterations.ts'],
			...['--phase', 'measure', '--db', databaseFile],
			...['--inputs', String(INPUTS), '--models', String(MODELS)]
		],
		{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }
	);
	rmSync(dir, { recursive: true, force: true });
	if (child.status !== 0) throw new Error(`the measurement failed:\n${child.stdout}`);
	const measured = JSON.parse(child.stdout) as Record<string, number>;
	console.log(
		`answers ${measured.answers_ms} ms, figures ${measured.figures_ms} ms, side by side ` +
			`${measured.side_by_side_ms} ms, whole page ${measured.page_ms} ms (medians of ${RUNS}), ` +
			`peak RSS ${measured.peak_rss_mb} MB`
	);
	console.log(
		JSON.stringify({ outputs: INPUTS * MODELS, models: MODELS, inputs: INPUTS, ...measured })
	);
}

if (args.phase === 'measure') await measurePhase();
else await main();
