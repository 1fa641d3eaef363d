import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { adjudicate } from '$lib/server/adjudication';
import { createApiToken } from '$lib/server/apiTokens';
import { createSession, generateSessionToken } from '$lib/server/auth';
import { createMigratedDb, type Db } from '$lib/server/db';
import { copyPlan } from '$lib/server/db/copy';
import * as schema from '$lib/server/db/schema';
import { getTableName, is } from 'drizzle-orm';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { dataset, project, revision } from '$lib/server/db/schema';
import { exportStream, SPLITS } from '$lib/server/datasets/export';
import { startNextIteration } from '$lib/server/iterations';
import { JobRunner } from '$lib/server/jobs/runner';
import {
	createRun,
	draftInputs,
	getRun,
	growTree,
	startFromDrafts
} from '$lib/server/jobs/synthetic';
import { addMember } from '$lib/server/projects';
import { createJudge, DEFAULT_RUBRIC } from '$lib/server/judges';
import { saveJudgeAnswer, startJudgeRun } from '$lib/server/judges/run';
import { addModel, createProvider } from '$lib/server/providers';
import { claimNext, skipExample } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { checkSecret } from '$lib/server/secrets';
import { notify } from '$lib/server/signals';
import { authenticate } from '$lib/server/users';
import { datasetFilterSchema, EXPORT_FORMATS, type ExportFormat } from '$lib/schemas/dataset';
import { queueComparisons } from '$lib/server/comparisons';
import { claimComparison, judgeComparison, skipComparison } from '$lib/server/comparisons/queue';
import { freezeDataset } from '$lib/server/datasets';
import { freshDatabaseUrl, openDb, postgresUnderTest, rawSql } from '../support/database';
import {
	examplesOf,
	importRows,
	makeProject,
	PASSWORD,
	requirementIdsOf,
	reviewSubmission,
	T0
} from '../support/fixtures';
import { jobReaches, TEST_SECRET, TEST_SETTINGS } from '../support/jobs';
import { evaluationOf, loopSetup, nextSpec, reviewAll, studentJudge } from '../support/loop';
import { startStandin, type Standin } from '../support/standin';
import { postgresBin } from '../../scripts/pg-cluster';

// Moving a team from SQLite to PostgreSQL (`npm run db:copy`) loses nothing: the same rows,
// and the same bytes in every file exported from them. Runs in the PostgreSQL pass only.

const dir = mkdtempSync(join(tmpdir(), 'winnow-copy-'));
let standin: Standin;
beforeAll(async () => {
	standin = await startStandin({ fineTuneSeconds: 0.2 });
});
afterAll(async () => {
	await standin.close();
	rmSync(dir, { recursive: true, force: true });
});

async function tableCounts(db: Db): Promise<Record<string, number>> {
	const counts: Record<string, number> = {};
	for (const { name } of copyPlan()) {
		const text = `select count(*) as n from "${name}"`;
		counts[name] = Number((await rawSql(db, { sqlite: text, postgres: text }))[0].n);
	}
	return counts;
}

/** Every dataset's every file, in every format, by name. */
async function exports(db: Db): Promise<Map<string, Buffer>> {
	const files = new Map<string, Buffer>();
	for (const frozen of await db.select().from(dataset).orderBy(dataset.id)) {
		const target = (
			await db.select().from(project).where(eq(project.id, frozen.projectId)).limit(1)
		)[0]!;
		for (const format of Object.keys(EXPORT_FORMATS) as ExportFormat[]) {
			for (const split of SPLITS) {
				for (const reasoning of [false, true]) {
					const stream = await exportStream(db, target, frozen.id, { format, split, reasoning });
					const bytes = Buffer.from(await new Response(stream).arrayBuffer());
					files.set(`${frozen.name}/${format}/${split}/${reasoning}`, bytes);
				}
			}
		}
	}
	return files;
}

/**
 * What a team's database holds besides the loop and the demo: the sealed secret check, a
 * mistyped login and a session, an API token, a dispute settled by an admin, a review with a
 * requirement rating, a skip, a claim still open, a synthetic run answered through a
 * rate-limited provider, a wake-up and a worker at work. Returns the worker, to be stopped
 * once the copy is done.
 */
async function everyOtherKindOfRow(
	db: Db,
	env: Awaited<ReturnType<typeof loopSetup>>,
	standinUrl: string
): Promise<JobRunner> {
	const { admin, rater, checker } = env;
	expect(await checkSecret(db, TEST_SECRET)).toEqual({ ok: true });

	// The rater mistypes the password once, then logs in; the failures by address and by
	// account stay counted.
	const ip = '192.0.2.7';
	expect(await authenticate(db, rater.username, 'not the password', ip, T0)).toMatchObject({
		ok: false,
		reason: 'invalid'
	});
	expect(await authenticate(db, rater.username, PASSWORD, ip, T0)).toMatchObject({ ok: true });
	await createSession(db, generateSessionToken(), rater.id, T0, {
		userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0',
		ipAddress: ip
	});
	await createApiToken(db, admin.id, 'nightly export', T0);

	// Two reviews per example, rated against a requirement: the first example is disputed and
	// settled by the admin, the rater skips the second and leaves the third open.
	const disputes = await makeProject(db, admin.id, {
		name: 'Refund replies',
		reviewsRequired: 2,
		requirements: [{ name: 'Polite', description: 'no blame on the customer' }]
	});
	await addMember(db, disputes.id, rater.id);
	await addMember(db, disputes.id, checker.id);
	await importRows(
		db,
		disputes,
		['first', 'second', 'third'].map((n) => ({ input: `${n} refund`, output: `${n} answer` }))
	);
	const [polite] = await requirementIdsOf(db, disputes.id);
	let disputed = 0;
	for (const [who, rating, decision] of [
		[rater, 5, 'accept'],
		[checker, 2, 'reject']
	] as const) {
		const claimed = (await claimNext(db, disputes.id, who.id, T0, [], undefined, 1))!;
		disputed = claimed.exampleId;
		const submission = reviewSubmission(claimed, {
			rating,
			decision,
			requirementRatings: new Map([[polite, rating]])
		});
		expect(await submitReview(db, disputes.id, who.id, submission, T0)).toMatchObject({ ok: true });
	}
	expect(
		await adjudicate(
			db,
			disputes.id,
			admin.id,
			{ exampleId: disputed, rating: 4, decision: 'accept', reason: 'Polite enough; right.' },
			T0
		)
	).toMatchObject({ ok: true });
	const skipped = (await claimNext(db, disputes.id, rater.id, T0, [], undefined, 1))!;
	expect(await skipExample(db, disputes.id, rater.id, skipped.exampleId, T0)).toBe(true);
	expect(await claimNext(db, disputes.id, rater.id, T0, [], undefined, 1)).not.toBeNull();

	// Synthetic inputs answered through a provider with a request limit, whose budget is kept.
	const limited = await createProvider(db, TEST_SECRET, {
		name: 'Stand-in, rate-limited',
		baseUrl: standinUrl,
		apiKey: '',
		requestsPerMinute: 600,
		tokensPerMinute: null
	});
	const teacher = await addModel(db, limited.id, {
		name: 'teacher-large',
		inputPricePerMTok: 1,
		outputPricePerMTok: 4
	});
	const judged = await createJudge(
		db,
		disputes.id,
		{
			name: 'Copied',
			modelId: teacher.id,
			rubric: DEFAULT_RUBRIC,
			withReference: true,
			temperature: 0.5
		},
		admin.id
	);
	if (!judged.ok) throw new Error(judged.message);
	const spec = {
		modelId: teacher.id,
		rootTopic: 'refunds',
		guidance: 'Keep it short.',
		breadth: 2,
		depth: 1,
		inputsPerLeaf: 1
	};
	const runId = await createRun(db, disputes.id, spec, admin.id);
	const run = (await getRun(db, disputes.id, runId))!;
	expect(await growTree(db, TEST_SECRET, run)).toEqual({ ok: true });
	expect(await draftInputs(db, TEST_SECRET, run)).toEqual({ ok: true });
	const worker = new JobRunner(db, { key: TEST_SECRET, pollMs: 30 });
	await worker.start();
	const started = await startFromDrafts(db, disputes, run, admin.id, [teacher.id], TEST_SETTINGS);
	if (!started.ok) throw new Error(started.message);
	// As the web process does once a job starts.
	await notify(db, 'jobs');
	await jobReaches(db, started.jobId, ['done']);
	// The judge rates every output: judgments, and a run whose items name what they judged.
	const judging = await startJudgeRun(db, disputes, judged.judgeId, { kind: 'all' }, admin.id);
	if (!judging.ok) throw new Error(judging.message);
	await notify(db, 'jobs');
	await jobReaches(db, judging.jobId, ['done']);
	// And compares two of the outputs, as a pairwise run keeps its answer.
	const [first, second] = await db.select({ id: revision.id }).from(revision).limit(2);
	await db.transaction((tx) =>
		saveJudgeAnswer(
			tx,
			judged.judgeId,
			{ judgedRevisionId: first.id, versusRevisionId: second.id },
			{ ok: true, kind: 'preference', winner: 'first', rationale: 'Shorter.' },
			new Date()
		)
	);

	// Comparisons: one judged and frozen into a dataset's pairs, one skipped, one still leased.
	const compared = await makeProject(db, admin.id, {
		name: 'Two answers',
		splitTrain: 100,
		splitVal: 0,
		splitTest: 0
	});
	await addMember(db, compared.id, rater.id);
	await importRows(
		db,
		compared,
		[0, 1, 2].flatMap((i) => [
			{ input: `compared ${i}`, output: `a full answer ${i}` },
			{ input: `compared ${i}`, output: `short ${i}` }
		])
	);
	const outputs = await examplesOf(db, compared.id);
	const queued = await queueComparisons(
		db,
		compared,
		[0, 2, 4].map((i) => ({
			first: { exampleId: outputs[i].id, revisionId: outputs[i].currentRevisionId! },
			second: { exampleId: outputs[i + 1].id, revisionId: outputs[i + 1].currentRevisionId! }
		})),
		admin.id,
		T0
	);
	expect(queued).toMatchObject({ ok: true, created: 3 });
	const judgedOne = (await claimComparison(db, compared.id, rater.id, T0))!;
	expect(
		await judgeComparison(
			db,
			compared.id,
			rater.id,
			{
				comparisonId: judgedOne.comparisonId,
				choice: 'left',
				strength: 2,
				reason: 'Fuller.',
				submissionKey: 'copied-judgment'
			},
			T0
		)
	).toMatchObject({ ok: true });
	const passed = (await claimComparison(db, compared.id, rater.id, T0))!;
	expect(await skipComparison(db, compared.id, rater.id, passed.comparisonId, T0)).toBe(true);
	expect(await claimComparison(db, compared.id, rater.id, T0)).not.toBeNull();
	await reviewAll(db, compared, rater.id, () => ({}));
	const pairs = await freezeDataset(db, compared, 'pairs', datasetFilterSchema.parse({}), admin.id);
	expect(pairs.ok).toBe(true);
	return worker;
}

describe('the order db:copy fills the tables in', () => {
	it('puts each table after the tables it points at, or fills that column in at the end', () => {
		const plan = copyPlan();
		const placed = new Set<string>();
		for (const table of plan) {
			const config = getTableConfig(
				Object.values(schema).find(
					(t) => is(t, SQLiteTable) && getTableName(t) === table.name
				) as SQLiteTable
			);
			for (const key of config.foreignKeys) {
				const { columns, foreignTable } = key.reference();
				const target = getTableName(foreignTable);
				if (target !== table.name && placed.has(target)) continue;
				// Written empty first: it must be a column that may be empty.
				expect(table.deferred, `${table.name}.${columns[0].name}`).toContain(columns[0].name);
				expect(columns[0].notNull).toBe(false);
			}
			placed.add(table.name);
		}
		expect(placed.size).toBe(plan.length);
		// The pair that points both ways: an example at its current revision, a revision at its example.
		expect(plan.find((t) => t.name === 'example')!.deferred).toContain('current_revision_id');
	});
});

if (postgresUnderTest()) {
	describe('npm run db:copy', () => {
		it('copies the demo, a two-iteration loop and every other kind of row: equal counts and identical exports', async () => {
			const file = join(dir, 'team.db');
			const source = await createMigratedDb(file);
			const running: { stop(): Promise<void> }[] = [];
			const env = await loopSetup(source, standin, running);
			for (const [name, rating] of [
				['one', 3],
				['two', 5]
			] as const) {
				const next = await startNextIteration(
					source,
					env.target,
					env.admin.id,
					nextSpec(env, name)
				);
				if (!next.ok) throw new Error(next.message);
				await evaluationOf(source, next.iterationId);
				await reviewAll(source, env.target, env.rater.id, studentJudge(rating));
				await reviewAll(source, env.target, env.checker.id, () => ({}));
			}
			for (const r of running) await r.stop();
			execFileSync('npx', ['tsx', 'scripts/demo.ts', '--count', '40'], {
				env: { ...process.env, DATABASE_URL: file },
				encoding: 'utf8'
			});
			const worker = await everyOtherKindOfRow(source, env, standin.url);
			const countsBefore = await tableCounts(source);
			const filesBefore = await exports(source);

			const url = await freshDatabaseUrl('', { unmigrated: true });
			const said = execFileSync('npx', ['tsx', 'scripts/db-copy.ts', file, url], {
				encoding: 'utf8'
			});
			expect(said).toMatch(/every count matches/);

			const target = openDb(url);
			expect(await tableCounts(target)).toEqual(countsBefore);
			const filesAfter = await exports(target);
			expect([...filesAfter.keys()]).toEqual([...filesBefore.keys()]);
			for (const [name, bytes] of filesBefore)
				expect(filesAfter.get(name)!.equals(bytes), name).toBe(true);
			expect([...filesBefore.values()].some((bytes) => bytes.length > 1000)).toBe(true);
			// A database holding every kind of row.
			expect(Object.keys(countsBefore).filter((t) => countsBefore[t] === 0)).toEqual([]);
			await worker.stop();
			await source.close();

			// The README's backup, tried: pg_dump while it is open, pg_restore into an empty database.
			const dump = join(dir, 'winnow.dump');
			execFileSync(join(postgresBin(), 'pg_dump'), ['--format=custom', `--file=${dump}`, url]);
			const restoredUrl = await freshDatabaseUrl('', { unmigrated: true });
			execFileSync(join(postgresBin(), 'pg_restore'), [
				'--clean',
				'--if-exists',
				'--no-owner',
				`--dbname=${restoredUrl}`,
				dump
			]);
			const restored = openDb(restoredUrl);
			expect(await tableCounts(restored)).toEqual(countsBefore);
			const filesRestored = await exports(restored);
			for (const [name, bytes] of filesBefore)
				expect(filesRestored.get(name)!.equals(bytes), name).toBe(true);
		}, 120_000);
	});
}
