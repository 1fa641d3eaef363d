// How much human attention the judge-guided queue saves. 20,000 seeded teacher outputs, 15% of
// them with a planted defect, are imported twice: into a project served oldest first, and into
// one served judge-guided (with its audit share) after a stand-in judge of settable accuracy has
// rated every output in a judge run. A simulated annotator, who finds a defect whenever they
// review one, then works each queue until 90% of the defects are found. Prints how many reviews
// each order needed, their ratio, and the judge-guided claim's timing.
//
//   npm run bench:triage
//   npm run bench:triage -- --outputs 5000 --catch 0.9 --false-fail 0.05 --audit 10 --seed 3
//
// The last line is one JSON object: {"outputs", "defects", "reviews_fifo", "reviews_triage",
// "ratio", "claim_p95_ms", …}.
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { createMigratedDb } from '../src/lib/server/db';
import { job, type Project } from '../src/lib/server/db/schema';
import { importExamples } from '../src/lib/server/import';
import { createJudge, DEFAULT_RUBRIC } from '../src/lib/server/judges';
import { startJudgeRun } from '../src/lib/server/judges/run';
import { JobRunner } from '../src/lib/server/jobs/runner';
import { addMember, createProject, getProject } from '../src/lib/server/projects';
import { addModel, createProvider } from '../src/lib/server/providers';
import { claimNext } from '../src/lib/server/queue';
import { queueSettingsOf, updateQueueSettings } from '../src/lib/server/queuePriority';
import { submitReview } from '../src/lib/server/reviews';
import { secretKeyFrom } from '../src/lib/server/secrets';
import { createUser } from '../src/lib/server/users';
import { mulberry32 } from '../src/lib/random';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../src/lib/schemas/project';
import { startStandin } from '../tests/support/standin';
import { benchDatabase } from './bench-database';
import { percentile, round2 } from './bench-server';

const { values: args } = parseArgs({
	options: {
		outputs: { type: 'string', default: '20000' },
		'defect-share': { type: 'string', default: '0.15' },
		catch: { type: 'string', default: '0.8' },
		'false-fail': { type: 'string', default: '0.1' },
		audit: { type: 'string', default: '10' },
		find: { type: 'string', default: '0.9' },
		seed: { type: 'string', default: '1' },
		db: { type: 'string', default: 'sqlite' },
		'pg-url': { type: 'string' }
	}
});
const OUTPUTS = Number(args.outputs);
const DEFECT_SHARE = Number(args['defect-share']);
const AUDIT_PERCENT = Number(args.audit);
const FIND = Number(args.find);
const SEED = Number(args.seed);
const SECRET = 'benchmark secret';
const key = secretKeyFrom(SECRET);

const standin = await startStandin({
	seed: SEED,
	judgeCatchRate: Number(args.catch),
	judgeFalseFailRate: Number(args['false-fail'])
});
const database = await benchDatabase(args.db, { pgUrl: args['pg-url'], name: 'bench-triage' });
const db = await createMigratedDb(database.url);

const admin = await createUser(db, {
	username: 'bench-admin',
	displayName: 'Bench admin',
	password: 'correct-horse-battery',
	role: 'admin'
});
const annotator = await createUser(db, {
	username: 'bench-annotator',
	displayName: 'Bench annotator',
	password: 'correct-horse-battery',
	role: 'annotator'
});

// The same seeded outputs for both projects: a planted defect in about one in seven.
const random = mulberry32(SEED);
const rows = Array.from({ length: OUTPUTS }, (_, i) => {
	const defective = random() < DEFECT_SHARE;
	return {
		input: `Customer ${i}: my order ${i * 7} has not arrived; what can I do?`,
		output: `Order ${i * 7} ships again tomorrow; reply with your address.${defective ? ' [defect]' : ''}`
	};
});
const defects = rows.filter((r) => r.output.includes('[defect]')).length;
const toFind = Math.ceil(defects * FIND);

async function projectWith(name: string): Promise<Project> {
	const made = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name,
			instruction: 'Answer the customer briefly and politely.'
		}),
		admin.id
	);
	await addMember(db, made.id, annotator.id);
	async function* lines() {
		for (const row of rows) yield `${JSON.stringify(row)}\n`;
	}
	const imported = await importExamples(db, made, {
		source: lines(),
		format: 'jsonl',
		filename: 'outputs.jsonl',
		userId: admin.id
	});
	if (!imported.ok) throw new Error('the import failed');
	return made;
}

/** Works the queue as an annotator who always spots a planted defect, until enough are found. */
async function reviewsToFind(target: Project) {
	const rolls = mulberry32(SEED + 1);
	const claimMs: number[] = [];
	let reviews = 0;
	let found = 0;
	let at = Date.UTC(2026, 11, 5);
	while (found < toFind) {
		const now = new Date((at += 1000));
		const started = performance.now();
		const next = await claimNext(db, target.id, annotator.id, now, [], undefined, 1, rolls());
		claimMs.push(performance.now() - started);
		if (!next) break;
		const defective = next.output?.includes('[defect]') ?? false;
		const done = await submitReview(
			db,
			target.id,
			annotator.id,
			{
				exampleId: next.exampleId,
				revisionId: next.revisionId,
				rating: defective ? 1 : 5,
				requirementRatings: new Map(),
				decision: defective ? 'reject' : 'accept',
				submissionKey: `${target.id}:${reviews}`
			},
			now
		);
		if (!done.ok) throw new Error(done.message);
		reviews += 1;
		if (defective) found += 1;
	}
	return { reviews, found, claimMs };
}

async function judgeEverything(target: Project) {
	const provider = await createProvider(db, key, {
		name: 'Stand-in',
		baseUrl: standin.url,
		apiKey: '',
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	const model = await addModel(db, provider.id, {
		name: 'teacher-large',
		inputPricePerMTok: 2,
		outputPricePerMTok: 8
	});
	const judge = await createJudge(
		db,
		target.id,
		{
			name: 'Stand-in judge',
			modelId: model.id,
			rubric: DEFAULT_RUBRIC,
			withReference: false,
			temperature: 0
		},
		admin.id
	);
	if (!judge.ok) throw new Error(judge.message);
	const run = await startJudgeRun(db, target, judge.judgeId, { kind: 'all' }, admin.id, {
		concurrency: 32
	});
	if (!run.ok) throw new Error(run.message);
	const runner = new JobRunner(db, { key });
	const started = performance.now();
	await runner.start();
	const status = async () =>
		(await db.select({ status: job.status }).from(job).where(eq(job.id, run.jobId)))[0]!.status;
	while (['pending', 'running'].includes(await status())) {
		await new Promise((r) => setTimeout(r, 50));
	}
	await runner.stop();
	return { seconds: (performance.now() - started) / 1000, status: await status() };
}

const fifo = await projectWith('Oldest first');
const fifoRun = await reviewsToFind(fifo);

const guided = await projectWith('Judge-guided');
const judged = await judgeEverything(guided);
if (judged.status !== 'done') throw new Error(`the judge run ended ${judged.status}`);
await updateQueueSettings(
	db,
	guided.id,
	{ ...queueSettingsOf(guided), queueOrder: 'judged', auditPercent: AUDIT_PERCENT },
	new Date()
);
const guidedRun = await reviewsToFind((await getProject(db, guided.id)) as Project);

await db.close();
await database.remove();
await standin.close();

const ratio = guidedRun.reviews / fifoRun.reviews;
const claimsSorted = [...guidedRun.claimMs].sort((a, b) => a - b);
const claimP50 = percentile(claimsSorted, 50);
const claimP95 = percentile(claimsSorted, 95);
console.log(
	`${OUTPUTS} outputs, ${defects} with a planted defect; the judge catches ${Number(args.catch) * 100}% of defects and fails ${Number(args['false-fail']) * 100}% of good outputs (judge run: ${judged.seconds.toFixed(1)} s).`
);
console.log(
	`To find ${FIND * 100}% of the defects (${toFind}): oldest first took ${fifoRun.reviews} reviews; judge-guided with a ${AUDIT_PERCENT}% audit share took ${guidedRun.reviews} (ratio ${ratio.toFixed(3)}).`
);
console.log(
	`Judge-guided claim: p50 ${claimP50.toFixed(2)} ms, p95 ${claimP95.toFixed(2)} ms over ${guidedRun.claimMs.length} claims (${database.backend}).`
);
console.log(
	JSON.stringify({
		outputs: OUTPUTS,
		defects,
		reviews_fifo: fifoRun.reviews,
		reviews_triage: guidedRun.reviews,
		ratio: round2(ratio),
		claim_p95_ms: round2(claimP95),
		claim_p50_ms: round2(claimP50),
		judge_catch: Number(args.catch),
		judge_false_fail: Number(args['false-fail']),
		audit_percent: AUDIT_PERCENT,
		judge_run_seconds: round2(judged.seconds),
		backend: database.backend
	})
);
