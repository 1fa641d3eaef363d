// Times the job runner: 2,000 items against the stand-in (in a process of its own) at 100 ms
// latency and concurrency 32, on a fresh database file. A perfect runner takes
// items × latency ÷ concurrency; efficiency is that over the measured time: from the job's
// resume (it is made paused) to its own finishing time.
// With `--warmup N` the processes first work a job of N items, unmeasured, as a worker that
// has run for a while has its code compiled and its connections open.
//
//   npm run bench:distill
//   npm run bench:distill -- --items 5000 --concurrency 64 --latency-ms 50
//   npm run bench:distill -- --workers 2   (the job worked by two worker processes)
//   npm run bench:distill -- --db pg --workers 2   (on PostgreSQL; --pg-url to use a server)
//
// With --workers the runner is not in this process: that many `WINNOW_ROLE=worker` processes
// share the job through leases, woken as a web process wakes them, and CPU is theirs together.
//
// The last line is one JSON object: {"items", "concurrency", "latency_ms", "efficiency",
// "cpu_ms_per_item", "workers", "backend"}.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { createMigratedDb } from '../src/lib/server/db';
import { example, job } from '../src/lib/server/db/schema';
import { controlJob, createJob } from '../src/lib/server/jobs';
import { JobRunner } from '../src/lib/server/jobs/runner';
import { createProject } from '../src/lib/server/projects';
import { addModel, createProvider } from '../src/lib/server/providers';
import { secretKeyFrom } from '../src/lib/server/secrets';
import { notify } from '../src/lib/server/signals';
import { benchDatabase } from './bench-database';
import { processStats, startRoleProcess } from './bench-server';
import { createUser } from '../src/lib/server/users';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../src/lib/schemas/project';
import { JOB_SETTING_DEFAULTS, jobSettingsSchema } from '../src/lib/schemas/job';

const { values: args } = parseArgs({
	options: {
		items: { type: 'string', default: '2000' },
		concurrency: { type: 'string', default: '32' },
		'latency-ms': { type: 'string', default: '100' },
		workers: { type: 'string', default: '0' },
		warmup: { type: 'string', default: '0' },
		db: { type: 'string', default: 'sqlite' },
		'pg-url': { type: 'string' }
	}
});
const WORKERS = Number(args.workers);
const WARMUP = Number(args.warmup);
const ITEMS = Number(args.items);
const CONCURRENCY = Number(args.concurrency);
const LATENCY_MS = Number(args['latency-ms']);

const standin = spawn(
	process.execPath,
	['--import', 'tsx', 'scripts/standin.ts', '--port', '0', '--latency-ms', String(LATENCY_MS)],
	{ stdio: ['ignore', 'pipe', 'inherit'] }
);
const [firstLine] = (await once(standin.stdout!, 'data')) as [Buffer];
const url = /at (\S+)/.exec(firstLine.toString())![1];

const database = await benchDatabase(args.db, { pgUrl: args['pg-url'], name: 'bench-distill' });
const databaseFile = database.url;
const db = await createMigratedDb(databaseFile);
const SECRET = 'benchmark secret';
const key = secretKeyFrom(SECRET);
const workers = await Promise.all(
	Array.from({ length: WORKERS }, () =>
		startRoleProcess('worker', databaseFile, { WINNOW_SECRET: SECRET })
	)
);
const admin = await createUser(db, {
	username: 'bench-admin',
	displayName: 'Bench admin',
	password: 'correct-horse-battery',
	role: 'admin'
});
const project = await createProject(
	db,
	projectSchema.parse({
		...DEFAULT_PROJECT_VALUES,
		name: 'Distill bench',
		instruction: 'Answer the customer briefly and politely.'
	}),
	admin.id
);
const teacher = await addModel(
	db,
	(
		await createProvider(db, key, {
			name: 'Stand-in',
			baseUrl: url,
			apiKey: '',
			requestsPerMinute: null,
			tokensPerMinute: null
		})
	).id,
	{ name: 'teacher-large', inputPricePerMTok: 2, outputPricePerMTok: 8 }
);
// A job is made paused, in one transaction, and then resumed as a person resumes one: the
// measured time starts at the resume, after its items were inserted.
const makePausedJob = (inputs: string[]) =>
	db.transaction(async (tx) => {
		const id = await createJob(tx, project, admin.id, {
			modelIds: [teacher.id],
			settings: jobSettingsSchema.parse({
				...JOB_SETTING_DEFAULTS,
				concurrency: String(CONCURRENCY)
			}),
			inputs,
			source: { kind: 'file', filename: 'bench.jsonl' }
		});
		await tx.update(job).set({ status: 'paused' }).where(eq(job.id, id));
		return id;
	});
const resume = async (id: number) => {
	const resumed = await controlJob(db, project.id, id, 'resume');
	if (!resumed.ok) throw new Error(resumed.message);
	if (runner) runner.wake();
	else await notify(db, 'jobs');
};
// The end is the job's own finishing time, so this process looks for it only now and then
// rather than competing with the runner for the processor.
const finishedJob = async (id: number) => {
	const state = async () =>
		(
			await db
				.select({ status: job.status, finishedAt: job.finishedAt })
				.from(job)
				.where(eq(job.id, id))
				.limit(1)
		)[0]!;
	let found = await state();
	while (found.status === 'running') {
		await new Promise((r) => setTimeout(r, 100));
		found = await state();
	}
	return found;
};

const runner = WORKERS > 0 ? null : new JobRunner(db, { key });
await runner?.start();
if (WARMUP > 0) {
	// A worker that has run for a while has its code compiled and its connections open, as a
	// provider's servers are warm: the measured job is not the first the processes see.
	const warmUp = await makePausedJob(
		Array.from({ length: WARMUP }, (_, i) => `Warm-up question ${i}`)
	);
	await resume(warmUp);
	await finishedJob(warmUp);
}
const jobId = await makePausedJob(
	Array.from(
		{ length: ITEMS },
		(_, i) => `Customer ${i}: my order ${i * 7} has not arrived; what can I do?`
	)
);
const workerCpu = () =>
	workers.reduce((sum, w) => sum + (processStats(w.child.pid!).cpuSeconds ?? 0), 0);
const cpuBefore = process.cpuUsage();
const workerCpuBefore = workerCpu();
const started = Date.now();
await resume(jobId);
const finished = await finishedJob(jobId);
const elapsedMs = (finished.finishedAt?.getTime() ?? Date.now()) - started;
const ownCpu = process.cpuUsage(cpuBefore);
const cpu = runner ? ownCpu : { user: (workerCpu() - workerCpuBefore) * 1_000_000, system: 0 };
await runner?.stop();
await Promise.all(workers.map((w) => w.kill()));
standin.kill('SIGTERM');

// When the answers were written, from the measured start: where the time went.
const writtenAt = (
	await db.select({ at: example.createdAt }).from(example).where(eq(example.jobId, jobId))
)
	.map((r) => r.at.getTime() - started)
	.sort((a, b) => a - b);
const made = writtenAt.length;
const ideal = (ITEMS * LATENCY_MS) / CONCURRENCY;
const tenth = writtenAt[Math.floor(made * 0.1)] ?? 0;
const ninetieth = writtenAt[Math.floor(made * 0.9)] ?? 0;
const steadyRate = (0.8 * made) / ((ninetieth - tenth) / 1000);
const efficiency = ideal / elapsedMs;
const cpuMsPerItem = (cpu.user + cpu.system) / 1000 / ITEMS;
const finalStatus = finished.status;
await db.close();
await database.remove();

console.log(`job ${finalStatus}: ${made} examples from ${ITEMS} items`);
console.log(
	`measured ${(elapsedMs / 1000).toFixed(2)} s; a perfect runner ${(ideal / 1000).toFixed(2)} s; efficiency ${efficiency.toFixed(3)}`
);
console.log(
	`first answer written at ${writtenAt[0]} ms (a perfect runner: ${LATENCY_MS}); from 10% to 90% of the items ${steadyRate.toFixed(0)} items/s, efficiency ${(steadyRate / ((CONCURRENCY * 1000) / LATENCY_MS)).toFixed(3)}; the last at ${writtenAt.at(-1)} ms`
);
console.log(
	runner
		? `runner CPU ${(cpu.user / 1000).toFixed(0)} ms user + ${(cpu.system / 1000).toFixed(0)} ms system`
		: `${WORKERS} workers' CPU ${(cpu.user / 1000).toFixed(0)} ms, user and system`
);
console.log(
	JSON.stringify({
		items: ITEMS,
		concurrency: CONCURRENCY,
		latency_ms: LATENCY_MS,
		efficiency: Number(efficiency.toFixed(3)),
		cpu_ms_per_item: Number(cpuMsPerItem.toFixed(3)),
		workers: WORKERS,
		backend: database.backend
	})
);
process.exit(made === ITEMS ? 0 : 1);
