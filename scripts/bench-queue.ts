// Loads the review queue over HTTP: 200,000 examples, 50 annotators who each claim, read for
// 1–3 s and submit, for 30 s after a 2 s warm-up, against the built server on a fresh database
// file. Then checks the queue's invariants on that file, as the concurrency test does.
// `--think-ms 0` drops the reading time and measures the server at saturation instead.
//
// Then a 2,000-item distillation job (concurrency 32, against the stand-in at 100 ms) runs in a
// worker process of its own beside the annotators, the server being a web process
// (`WINNOW_ROLE=web`), and the claims made while it runs are timed apart: a job must not slow
// the people reviewing. `--job-items 0` leaves this part out.
//
//   npm run bench:queue
//   npm run bench:queue -- --annotators 10 --seconds 10 --profile /tmp/prof   (server CPU profile)
//   npm run bench:queue -- --db pg --web 4   (PostgreSQL, four web processes; --pg-url to use a
//                                              server, else a throwaway cluster is started)
//
// With several web processes each request goes to the next one in turn, as a load balancer
// without sticky sessions would send it.
//
// The last line is one JSON object: {"examples", "annotators", "claims_per_s", "claim_p50_ms", …,
// "submit_p99_ms", "invariants_ok", "claim_p95_with_job_ms", "job_seconds", "backend",
// "web_processes", "workers"}, with 95% bootstrap intervals of the claim p95s
// ("claim_p95_interval_ms", "claim_p95_with_job_interval_ms") and of their ratio
// ("claim_p95_with_job_ratio", "claim_p95_with_job_ratio_interval"): how far the p95 of the few
// hundred claims made while the job runs depends on which claims fell in the run. Runs on a
// machine whose load changes differ by more; compare several.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { createDb, createMigratedDb } from '../src/lib/server/db';
import { createSession, generateSessionToken, sessionCookieName } from '../src/lib/server/auth';
import { insertRows, type ImportRow } from '../src/lib/server/import';
import { addMember, createProject } from '../src/lib/server/projects';
import { createUser } from '../src/lib/server/users';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../src/lib/schemas/project';
import { eq } from 'drizzle-orm';
import { job } from '../src/lib/server/db/schema';
import { createJob } from '../src/lib/server/jobs';
import { addModel, createProvider } from '../src/lib/server/providers';
import { secretKeyFrom } from '../src/lib/server/secrets';
import { notify } from '../src/lib/server/signals';
import { JOB_SETTING_DEFAULTS, jobSettingsSchema } from '../src/lib/schemas/job';
import { benchDatabase } from './bench-database';
import {
	percentile,
	percentileInterval,
	postSubmit,
	processStats,
	round2,
	startBenchServer,
	startRoleProcess
} from './bench-server';

const { values: args } = parseArgs({
	options: {
		examples: { type: 'string', default: '200000' },
		annotators: { type: 'string', default: '50' },
		seconds: { type: 'string', default: '30' },
		// Each annotator reads for between half and one and a half times this before
		// submitting; 0 sends requests back to back, which measures saturation instead.
		'think-ms': { type: 'string', default: '2000' },
		profile: { type: 'string' },
		'job-items': { type: 'string', default: '2000' },
		db: { type: 'string', default: 'sqlite' },
		'pg-url': { type: 'string' },
		web: { type: 'string', default: '1' }
	}
});
const JOB_ITEMS = Number(args['job-items']);
const SECRET = 'benchmark secret';
const EXAMPLES = Number(args.examples);
const ANNOTATORS = Number(args.annotators);
const RUN_MS = Number(args.seconds) * 1000;
const THINK_MS = Number(args['think-ms']);
const WARM_UP_MS = 2000;
const REVIEWS_REQUIRED = 2;

const WEB_PROCESSES = Number(args.web);
const database = await benchDatabase(args.db, { pgUrl: args['pg-url'], name: 'bench-queue' });
const databaseUrl = database.url;

async function seed() {
	const db = await createMigratedDb(databaseUrl);
	const password = 'correct-horse-battery';
	const admin = await createUser(db, {
		username: 'bench-admin',
		displayName: 'Bench admin',
		password,
		role: 'admin'
	});
	const annotators = await Promise.all(
		Array.from(
			{ length: ANNOTATORS },
			async (_, i) =>
				await createUser(db, {
					username: `annotator-${i + 1}`,
					displayName: `Annotator ${i + 1}`,
					password,
					role: 'annotator'
				})
		)
	);
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: 'Queue bench',
			reviewsRequired: String(REVIEWS_REQUIRED)
		}),
		admin.id
	);
	for (const annotator of annotators) await addMember(db, project.id, annotator.id);

	const topics = ['refund', 'shipping', 'login', 'invoice', 'damaged item', 'cancellation'];
	const rows: ImportRow[] = Array.from({ length: EXAMPLES }, (_, i) => {
		const topic = topics[i % topics.length];
		return {
			line: i + 1,
			externalId: null,
			input: `Subject: ${topic} question #${i}\n\nHello, I ordered item ${i * 7} on the ${(i % 28) + 1}th and I have a problem with the ${topic}. Could you tell me what happens next and how long it takes? Thanks, customer ${i}`,
			output: `Dear customer ${i}, thank you for writing about the ${topic} of order ${i * 7}. We will reply within two working days.`,
			tags: []
		};
	});
	const started = performance.now();
	await insertRows(db, project, rows, {
		userId: admin.id,
		filename: 'bench.jsonl',
		format: 'jsonl',
		rowsRead: EXAMPLES
	});
	const seedSeconds = (performance.now() - started) / 1000;

	const cookies: string[] = [];
	for (const annotator of annotators) {
		const token = generateSessionToken();
		await createSession(db, token, annotator.id);
		cookies.push(`${sessionCookieName}=${token}`);
	}
	const teacher = await addModel(
		db,
		(
			await createProvider(db, secretKeyFrom(SECRET), {
				name: 'Stand-in',
				baseUrl: standinUrl,
				apiKey: '',
				requestsPerMinute: null,
				tokensPerMinute: null
			})
		).id,
		{ name: 'teacher-large', inputPricePerMTok: 2, outputPricePerMTok: 8 }
	);
	await db.close();
	return { project, adminId: admin.id, teacherId: teacher.id, cookies, seedSeconds };
}

type Claimed = { exampleId: number; revisionId: number; submissionKey: string };

// The stand-in provider the job's teacher answers from, in a process of its own.
const standin = spawn(
	process.execPath,
	['--import', 'tsx', 'scripts/standin.ts', '--port', '0', '--latency-ms', '100'],
	{ stdio: ['ignore', 'pipe', 'inherit'] }
);
const [standinLine] = (await once(standin.stdout!, 'data')) as [Buffer];
const standinUrl = /at (\S+)/.exec(standinLine.toString())![1];

const { project, adminId, teacherId, cookies, seedSeconds } = await seed();
const projectId = project.id;
console.log(`seeded ${EXAMPLES} examples, ${ANNOTATORS} annotators in ${seedSeconds.toFixed(1)} s`);

const nodeArgs = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [];
const servers = await Promise.all(
	Array.from({ length: WEB_PROCESSES }, () =>
		startBenchServer(databaseUrl, {
			nodeArgs,
			onFailure: () => void database.remove(),
			env: { WINNOW_ROLE: 'web', WINNOW_SECRET: SECRET }
		})
	)
);
let turn = 0;
/** The web process the next request goes to: each in turn, no session sticks to one. */
const nextServer = () => servers[turn++ % servers.length];
const serversCpu = () =>
	servers.reduce((sum, s) => sum + (processStats(s.process.pid!).cpuSeconds ?? 0), 0);
const worker =
	JOB_ITEMS > 0 ? await startRoleProcess('worker', databaseUrl, { WINNOW_SECRET: SECRET }) : null;

// Node's fetch shares one keep-alive pool with no cap on connections to an origin, so the
// annotators' loops keep about one open connection each.
const claimPath = `/projects/${projectId}/review/next`;
const claimMs: number[] = [];
/** Claims made while the distillation job ran in the worker. */
const claimWithJobMs: number[] = [];
let jobRunning = false;
let annotating = true;
const submitMs: number[] = [];
let errorCount = 0;
let firstError = '';
let successfulSubmits = 0;
let queueEmptied = 0;

const startedAt = performance.now();
const measureFrom = startedAt + WARM_UP_MS;
const measureUntil = measureFrom + RUN_MS;
const inWindow = (start: number) => start >= measureFrom && start < measureUntil;

function noteError(what: string) {
	errorCount += 1;
	firstError ||= what;
}

async function claim(cookie: string): Promise<Claimed | null | 'error'> {
	const start = performance.now();
	try {
		const { base, origin } = nextServer();
		const res = await fetch(`${base}${claimPath}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', origin, cookie },
			body: JSON.stringify({ skip: [] })
		});
		const text = await res.text();
		if (inWindow(start)) claimMs.push(performance.now() - start);
		else if (jobRunning) claimWithJobMs.push(performance.now() - start);
		if (res.status !== 200) {
			noteError(`claim ${res.status}: ${text.slice(0, 200)}`);
			return 'error';
		}
		return (JSON.parse(text) as { next: Claimed | null }).next;
	} catch (e) {
		noteError(`claim: ${(e as Error).message}`);
		return 'error';
	}
}

async function submit(cookie: string, claimed: Claimed, n: number): Promise<void> {
	const form = new URLSearchParams({
		exampleId: String(claimed.exampleId),
		revisionId: String(claimed.revisionId),
		submissionKey: claimed.submissionKey,
		rating: String(1 + ((claimed.exampleId + n) % 5)),
		decision: (claimed.exampleId + n) % 4 === 0 ? 'reject' : 'accept',
		durationMs: String(4000 + (n % 7) * 1000)
	});
	if (n % 10 === 0) form.set('comment', 'The reply does not say when the refund arrives.');
	const start = performance.now();
	try {
		const res = await postSubmit(nextServer(), projectId, cookie, form);
		const text = await res.text();
		if (inWindow(start)) submitMs.push(performance.now() - start);
		const answer = res.status === 200 ? (JSON.parse(text) as { type: string }) : null;
		if (answer?.type === 'success') successfulSubmits += 1;
		else noteError(`submit ${res.status}: ${text.slice(0, 200)}`);
	} catch (e) {
		noteError(`submit: ${(e as Error).message}`);
	}
}

async function annotate(cookie: string) {
	let n = 0;
	while (annotating) {
		const claimed = await claim(cookie);
		if (claimed === 'error') continue;
		if (claimed === null) {
			queueEmptied += 1;
			return;
		}
		if (THINK_MS > 0) {
			// Spread evenly between 0.5 and 1.5 times the mean, different for every annotator.
			const spread = ((claimed.exampleId * 7919 + n * 104729) % 1000) / 1000;
			await new Promise((resolve) => setTimeout(resolve, THINK_MS * (0.5 + spread)));
		}
		// A claim taken inside the window is always submitted, so no lease is left behind.
		await submit(cookie, claimed, n++);
	}
}

// Server and client CPU over the measured window, as shares of one core.
const cpuUse = { server: NaN, client: NaN };
const cpuAtStart = { server: 0, client: process.cpuUsage() };
const windowTimers = [
	setTimeout(() => {
		cpuAtStart.server = serversCpu();
		cpuAtStart.client = process.cpuUsage();
	}, WARM_UP_MS),
	setTimeout(() => {
		const serverCpu = serversCpu() - cpuAtStart.server;
		const clientUsage = process.cpuUsage(cpuAtStart.client);
		const clientCpu = (clientUsage.user + clientUsage.system) / 1e6;
		cpuUse.server = serverCpu / (RUN_MS / 1000);
		cpuUse.client = clientCpu / (RUN_MS / 1000);
	}, WARM_UP_MS + RUN_MS)
];
/**
 * After the measured window: a distillation job in the worker, while the annotators go on.
 * Returns how long it ran, in seconds.
 */
async function runJobBeside(): Promise<number> {
	await new Promise((resolve) => setTimeout(resolve, measureUntil - performance.now()));
	if (!worker) return 0;
	const db = createDb(databaseUrl);
	const jobId = await createJob(db, project, adminId, {
		modelIds: [teacherId],
		settings: jobSettingsSchema.parse({ ...JOB_SETTING_DEFAULTS, concurrency: '32' }),
		inputs: Array.from({ length: JOB_ITEMS }, (_, i) => `Customer ${i}: where is my order ${i}?`),
		source: { kind: 'file', filename: 'bench-job.jsonl' }
	});
	const started = performance.now();
	jobRunning = true;
	await notify(db, 'jobs');
	const status = async () =>
		(await db.select({ status: job.status }).from(job).where(eq(job.id, jobId)).limit(1))[0]!
			.status;
	while ((await status()) === 'running') await new Promise((r) => setTimeout(r, 50));
	jobRunning = false;
	await db.close();
	return (performance.now() - started) / 1000;
}

const annotations = Promise.all(cookies.map((cookie) => annotate(cookie)));
const jobSeconds = await runJobBeside();
annotating = false;
await annotations;
const runEndedAt = Date.now();
windowTimers.forEach(clearTimeout);
await worker?.kill();
standin.kill('SIGTERM');

const peakRssMb = Math.max(...servers.map((s) => processStats(s.process.pid!).peakRssMb ?? 0));
await Promise.all(servers.map((s) => s.stop()));
if (errorCount > 0) {
	console.error(
		`server log:\n${servers
			.map((s) => s.log.join(''))
			.join('\n')
			.slice(-4000)}`
	);
}

/** The concurrency test's invariants, on the database the servers wrote. */
async function checkInvariants() {
	const count = async (text: string, ...params: unknown[]) =>
		Number((await database.query(text, ...params))[0].n);
	const reviewsOnCurrent = `(select count(*) from review r where r.revision_id = e.current_revision_id)`;
	const reviews = await count('select count(*) as n from review');
	const found = {
		orphanReviews: await count(`
			select count(*) as n from review r
			left join example e on e.id = r.example_id
			left join revision v on v.id = r.revision_id and v.example_id = r.example_id
			left join revision c on c.id = e.current_revision_id
			where e.id is null or v.id is null or c.id is null or v.number > c.number`),
		reviewedTwice: await count(`
			select count(*) as n from (
				select 1 from review group by revision_id, user_id having count(*) > 1) as twice`),
		reviewCountWrong: await count(`
			select count(*) as n from example e
			where ${reviewsOnCurrent} > ${REVIEWS_REQUIRED} or ${reviewsOnCurrent} != e.review_count`),
		overOverlap: await count(
			`select count(*) as n from example e
			where (select count(*) from lease l where l.example_id = e.id and l.lease_expires_at > ?)
				+ ${reviewsOnCurrent} > ${REVIEWS_REQUIRED}`,
			runEndedAt
		),
		lostSubmits: Math.abs(successfulSubmits - reviews),
		claimableWrong: await count(`
			select count(*) as n from example e
			where (e.claimable = 0) != (${reviewsOnCurrent} = ${REVIEWS_REQUIRED})`)
	};
	const settled = await count(
		`select count(*) as n from example e where ${reviewsOnCurrent} = ${REVIEWS_REQUIRED}`
	);
	return { reviews, settled, found, ok: Object.values(found).every((n) => n === 0) };
}

const invariants = await checkInvariants();
await database.remove();

claimMs.sort((a, b) => a - b);
claimWithJobMs.sort((a, b) => a - b);
submitMs.sort((a, b) => a - b);
const seconds = RUN_MS / 1000;
/** A p95 figure's 95% bootstrap interval, as [lower, upper]. */
const interval = (samples: number[][], figure: (p95s: number[]) => number) => {
	const { lower, upper } = percentileInterval(samples, figure);
	return [round2(lower), round2(upper)];
};
const figures = {
	examples: EXAMPLES,
	annotators: ANNOTATORS,
	claims_per_s: Math.round((claimMs.length / seconds) * 10) / 10,
	claim_p50_ms: round2(percentile(claimMs, 50)),
	claim_p95_ms: round2(percentile(claimMs, 95)),
	claim_p99_ms: round2(percentile(claimMs, 99)),
	submit_p50_ms: round2(percentile(submitMs, 50)),
	submit_p95_ms: round2(percentile(submitMs, 95)),
	submit_p99_ms: round2(percentile(submitMs, 99)),
	invariants_ok: invariants.ok,
	backend: database.backend,
	web_processes: WEB_PROCESSES,
	workers: worker ? 1 : 0,
	claim_p95_interval_ms: interval([claimMs], ([p95]) => p95),
	...(JOB_ITEMS > 0
		? {
				claim_p95_with_job_ms: round2(percentile(claimWithJobMs, 95)),
				claim_p95_with_job_interval_ms: interval([claimWithJobMs], ([p95]) => p95),
				// The target: the p95 with a job over the p95 without, at most 1.2.
				claim_p95_with_job_ratio: round2(percentile(claimWithJobMs, 95) / percentile(claimMs, 95)),
				claim_p95_with_job_ratio_interval: interval(
					[claimWithJobMs, claimMs],
					([withJob, without]) => withJob / without
				),
				job_seconds: round2(jobSeconds)
			}
		: {})
};

const ms = (n: number) => `${n.toFixed(2)} ms`;
console.log(
	`${ANNOTATORS} annotators, ${seconds} s after a ${WARM_UP_MS / 1000} s warm-up, ${THINK_MS > 0 ? `reading ${THINK_MS / 2}–${(THINK_MS * 3) / 2} ms per example` : 'no think time (saturation)'}`
);
console.log(
	`claims:  ${figures.claims_per_s}/s  p50 ${ms(figures.claim_p50_ms)}  p95 ${ms(figures.claim_p95_ms)} (95% interval ${figures.claim_p95_interval_ms.join('–')} ms)  p99 ${ms(figures.claim_p99_ms)}  max ${ms(claimMs.at(-1) ?? NaN)}`
);
console.log(
	`submits: ${(submitMs.length / seconds).toFixed(1)}/s  p50 ${ms(figures.submit_p50_ms)}  p95 ${ms(figures.submit_p95_ms)}  p99 ${ms(figures.submit_p99_ms)}  max ${ms(submitMs.at(-1) ?? NaN)}`
);
console.log(
	`errors: ${errorCount}${firstError ? ` (first: ${firstError})` : ''}; annotators who found the queue empty: ${queueEmptied}`
);
console.log(
	`server: peak RSS ${peakRssMb ?? '?'} MB, CPU ${(cpuUse.server * 100).toFixed(0)}% of a core; client CPU ${(cpuUse.client * 100).toFixed(0)}% of a core`
);
console.log(
	`invariants: ${invariants.ok ? 'ok' : 'VIOLATED'} — ${invariants.reviews} reviews, ${successfulSubmits} successful submits, ${invariants.settled} examples with all ${REVIEWS_REQUIRED} reviews; ${JSON.stringify(invariants.found)}`
);
if (JOB_ITEMS > 0) {
	console.log(
		`with a ${JOB_ITEMS}-item job in a worker for ${jobSeconds.toFixed(1)} s: ${claimWithJobMs.length} claims, p50 ${ms(percentile(claimWithJobMs, 50))}  p95 ${ms(figures.claim_p95_with_job_ms ?? NaN)} (95% interval ${figures.claim_p95_with_job_interval_ms?.join('–')} ms); over the p95 without it: ${figures.claim_p95_with_job_ratio} (${figures.claim_p95_with_job_ratio_interval?.join('–')})`
	);
}
console.log(JSON.stringify(figures));
