// The hot queries' plans on PostgreSQL at scale: a throwaway cluster with auto_explain, a project
// of 1,000,000 examples (each with a revision, a tenth reviewed), then the request paths that
// run all day — the session check, a claim, a submit, the queue's progress, the examples
// page, the export page's counts — run through the domain code, and every statement they sent
// printed with its plan. A sequential scan of a large table in any of them fails the run.
//
//   npm run bench:explain                     (1,000,000 examples)
//   npm run bench:explain -- --examples 100000 --plans   (print every plan, not only the slow)
//
// The last line is one JSON object: {"examples", "statements", "slowest_ms", "full_scans"}.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createSession, generateSessionToken, validateSessionToken } from '../src/lib/server/auth';
import { createMigratedDb } from '../src/lib/server/db';
import { countQualifying } from '../src/lib/server/datasets';
import { listExamples } from '../src/lib/server/examples';
import { addMember, createProject, getProjectForUser } from '../src/lib/server/projects';
import { claimNext, queueProgress } from '../src/lib/server/queue';
import { submitReview } from '../src/lib/server/reviews';
import { createUser } from '../src/lib/server/users';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../src/lib/schemas/project';
import { datasetFilterSchema } from '../src/lib/schemas/dataset';
import { exampleFilterSchema } from '../src/lib/schemas/examples';
import { startCluster } from './pg-cluster';

const { values: args } = parseArgs({
	options: {
		examples: { type: 'string', default: '1000000' },
		plans: { type: 'boolean', default: false }
	}
});
const EXAMPLES = Number(args.examples);
/** A sequential scan that reads this many rows is a plan to fix (a small table's is not). */
const LARGE_SCAN_ROWS = 10_000;

/** The tables a plan reads whole, with how many rows each scan went through. */
function largeScans(plan: string): string[] {
	const found: string[] = [];
	const scan =
		/Seq Scan on (\w+)[^\n]*actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)\)((?:\n(?![^\n]*->)[^\n]*)*)/g;
	for (const m of plan.matchAll(scan)) {
		const removed = Number(/Rows Removed by Filter: (\d+)/.exec(m[4])?.[1] ?? 0);
		const rows = (Number(m[2]) + removed) * Number(m[3]);
		if (rows >= LARGE_SCAN_ROWS) found.push(`${m[1]} (${rows.toLocaleString('en')} rows)`);
	}
	return found;
}

const cluster = await startCluster({
	durable: true,
	settings: [
		"session_preload_libraries='auto_explain'",
		'auto_explain.log_min_duration=-1',
		'auto_explain.log_analyze=on',
		'auto_explain.log_buffers=on',
		'auto_explain.log_nested_statements=on'
	]
});
try {
	const admin = new pg.Client({ connectionString: cluster.url });
	await admin.connect();
	await admin.query('CREATE DATABASE explain');
	const url = cluster.url.replace(/\/[^/]*$/, '/explain');
	const db = await createMigratedDb(url);
	const password = 'correct-horse-battery';
	const owner = await createUser(db, {
		username: 'admin',
		displayName: 'A',
		password,
		role: 'admin'
	});
	const annotators = [];
	for (let i = 0; i < 3; i++) {
		const made = await createUser(db, {
			username: `a${i}`,
			displayName: `A${i}`,
			password,
			role: 'annotator'
		});
		annotators.push(made);
	}
	const project = await createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: 'Explain', reviewsRequired: '2' }),
		owner.id
	);
	for (const a of annotators) await addMember(db, project.id, a.id);

	// The examples go in by SQL: a million rows through the import would take most of an hour,
	// and only their shape matters to the plans.
	const seeded = performance.now();
	const seed = new pg.Client({ connectionString: url });
	await seed.connect();
	const now = Date.now();
	await seed.query(`
		insert into example (id, project_id, input, input_hash, split, source, status, review_count,
			claimable, priority, random_key, created_at, updated_at, final_rating, final_decision)
		select g, ${project.id}, 'Customer ' || g || ': where is my order?', md5(g::text),
			(array['train','train','train','train','train','train','train','train','val','test'])[1 + g % 10],
			'import',
			case when g % 10 = 0 then 'accepted' else 'queued' end,
			case when g % 10 = 0 then 2 else 0 end,
			case when g % 10 = 0 then 0 else 1 end,
			0, (g::bigint * 7919) % 1000003, ${now}, ${now},
			case when g % 10 = 0 then 4.5 end, case when g % 10 = 0 then 'accept' end
		from generate_series(1, ${EXAMPLES}) g`);
	await seed.query(`
		insert into revision (id, example_id, number, output, author_kind, created_at)
		select g, g, 1, 'We will reply about order ' || g || ' within two days.', 'import', ${now}
		from generate_series(1, ${EXAMPLES}) g`);
	await seed.query('update example set current_revision_id = id');
	await seed.query(`
		insert into review (example_id, revision_id, user_id, rating, decision, duration_ms, created_at)
		select g, g, u.id, 4.5, 'accept', 5000, ${now}
		from generate_series(10, ${EXAMPLES}, 10) g cross join (values ('${annotators[1].id}'), ('${annotators[2].id}')) u(id)`);
	for (const table of ['example', 'revision', 'review']) {
		await seed.query(
			`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`
		);
	}
	await seed.query('vacuum analyze');
	await seed.end();
	console.log(
		`seeded ${EXAMPLES.toLocaleString('en')} examples in ${((performance.now() - seeded) / 1000).toFixed(0)} s`
	);

	// From here every statement's plan goes to the server log.
	await admin.query('alter database explain set auto_explain.log_min_duration = 0');
	await db.close();
	const app = await createMigratedDb(url);
	const token = generateSessionToken();
	const me = annotators[0];
	await createSession(app, token, me.id);
	const paths: [string, () => Promise<unknown>][] = [
		['session check', () => validateSessionToken(app, token)],
		['project and membership', () => getProjectForUser(app, project.id, me)],
		['claim', () => claimNext(app, project.id, me.id, new Date(), [], undefined, 1)],
		[
			'submit',
			async () => {
				const claimed = await claimNext(app, project.id, me.id, new Date(), [], undefined, 1);
				if (!claimed) throw new Error('nothing to claim');
				return submitReview(
					app,
					project.id,
					me.id,
					{
						exampleId: claimed.exampleId,
						revisionId: claimed.revisionId,
						rating: 4,
						requirementRatings: new Map(),
						decision: 'accept',
						submissionKey: 'explain-submit'
					},
					new Date()
				);
			}
		],
		['queue progress', () => queueProgress(app, project.id, me.id, new Date())],
		['examples page', () => listExamples(app, project.id, exampleFilterSchema.parse({}))],
		['export counts', () => countQualifying(app, project, datasetFilterSchema.parse({}))]
	];
	const marks: { name: string; from: number }[] = [];
	const logFile = join(cluster.dir, 'server.log');
	for (const [name, run] of paths) {
		marks.push({ name, from: readFileSync(logFile, 'utf8').length });
		await run();
	}
	await app.close();
	await admin.end();
	await new Promise((resolve) => setTimeout(resolve, 300));
	const log = readFileSync(logFile, 'utf8');

	let statements = 0;
	let slowest = 0;
	const fullScans: string[] = [];
	for (const [i, mark] of marks.entries()) {
		const part = log.slice(mark.from, marks[i + 1]?.from ?? log.length);
		const plans = part
			.split(/\n(?=.*LOG: {2}duration:)/)
			.filter((p) => /LOG: {2}duration:/.test(p));
		console.log(`\n== ${mark.name}: ${plans.length} statements`);
		for (const plan of plans) {
			statements++;
			const ms = Number(/duration: ([\d.]+) ms/.exec(plan)?.[1] ?? 0);
			slowest = Math.max(slowest, ms);
			const text = /Query Text: (.*)/.exec(plan)?.[1] ?? '';
			const scans = largeScans(plan);
			if (scans.length)
				fullScans.push(`${mark.name}: ${scans.join(', ')} in ${text.slice(0, 120)}`);
			console.log(`${ms.toFixed(2).padStart(8)} ms  ${text.slice(0, 150)}`);
			if (args.plans || scans.length || ms > 5) console.log(plan.split('\n').slice(1).join('\n'));
		}
	}
	console.log(
		fullScans.length
			? `\nFull scans of large tables:\n${fullScans.join('\n')}`
			: '\nNo full scan of a large table.'
	);
	console.log(
		JSON.stringify({
			examples: EXAMPLES,
			statements,
			slowest_ms: slowest,
			full_scans: fullScans.length
		})
	);
	process.exitCode = fullScans.length ? 1 : 0;
} finally {
	cluster.stop();
}
