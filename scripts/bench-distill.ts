// Times the job runner: 2,000 items against the stand-in (in a process of its own) at 100 ms
// latency and concurrency 32, on a fresh database file. A perfect runner takes
// items × latency ÷ concurrency; efficiency is that over the measured time.
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
import { createJob } from '../src/lib/server/jobs';
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
		db: { type: 'string', default: 'sqlite' },
		'pg-url': { type: 'string' }
	}
});
const WORKERS = Number(args.workers);
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
const inputs = Array.from(
	{ length: ITEMS },
	(_, i) => `Customer ${i}: my order ${i * 7} has not arrived; what can I do?`
);
const jobId = await createJob(db, project, admin.id, {
	modelIds: [teacher.id],
	settings: jobSettingsSchema.parse({ ...JOB_SETTING_DEFAULTS, concurrency: String(CONCURRENCY) }),
	inputs,
	source: { kind: 'file', filename: 'bench.jsonl' }
});

const runner = WORKERS > 0 ? null : new JobRunner(db, { key });
const workerCpu = () =>
	workers.reduce((sum, w) => sum + (processStats(w.child.pid!).cpuSeconds ?? 0), 0);
const cpuBefore = process.cpuUsage();
const workerCpuBefore = workerCpu();
const started = performance.now();
if (runner) await runner.start();
else await notify(db, 'jobs');
const status = async () =>
	(await db.select({ status: job.status }).from(job).where(eq(job.id, jobId)).limit(1))[0]!;
while ((await status()).status === 'running') await new Promise((r) => setTimeout(r, 5));
const elapsedMs = performance.now() - started;
const ownCpu = process.cpuUsage(cpuBefore);
const cpu = runner ? ownCpu : { user: (workerCpu() - workerCpuBefore) * 1_000_000, system: 0 };
await runner?.stop();
await Promise.all(workers.map((w) => w.kill()));
standin.kill('SIGTERM');

const made = (await db.select({ id: example.id }).from(example).where(eq(example.jobId, jobId)))
	.length;
const ideal = (ITEMS * LATENCY_MS) / CONCURRENCY;
const efficiency = ideal / elapsedMs;
const cpuMsPerItem = (cpu.user + cpu.system) / 1000 / ITEMS;
const finalStatus = (await status()).status;
await db.close();
await database.remove();

console.log(`job ${finalStatus}: ${made} examples from ${ITEMS} items`);
console.log(
	`measured ${(elapsedMs / 1000).toFixed(2)} s; a perfect runner ${(ideal / 1000).toFixed(2)} s; efficiency ${efficiency.toFixed(3)}`
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
