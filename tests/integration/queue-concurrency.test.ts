import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, expect, test } from 'vitest';
import { importExamples } from '../../src/lib/server/import';
import { makeProject, makeUser } from '../support/fixtures';
import { freshDatabaseUrl, openDb } from '../support/database';
import { overlapBroken, query, watchOverlap } from '../support/invariants';

const ANNOTATORS = 50;
const PROCESSES = 5;
const EXAMPLES = 400;
const OVERLAP = 3;

const dir = mkdtempSync(join(tmpdir(), 'winnow-queue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Tally = {
	claims: number;
	submitted: number;
	duplicates: number;
	refused: string[];
	retried: number;
};

/** One process of annotators, started as a second server would be, with its own connections. */
function runProcess(job: object): Promise<Tally> {
	return new Promise((resolve, reject) => {
		const child = spawn(
			process.execPath,
			['--import', 'tsx', 'tests/support/annotator-worker.ts'],
			{
				env: { ...process.env, ANNOTATOR_JOB: JSON.stringify(job) },
				stdio: ['ignore', 'pipe', 'pipe']
			}
		);
		let out = '';
		let err = '';
		child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
		child.once('error', reject);
		child.once('exit', (code) =>
			code === 0
				? resolve(JSON.parse(out) as Tally)
				: reject(new Error(`annotators exited with ${code}: ${err}`))
		);
	});
}

test(`${ANNOTATORS} annotators in ${PROCESSES} processes never exceed the overlap and lose no review`, async () => {
	const databaseUrl = await freshDatabaseUrl(join(dir, 'queue.db'));
	const db = openDb(databaseUrl);
	const admin = await makeUser(db, 'admin');
	const project = await makeProject(db, admin.id, { reviewsRequired: OVERLAP });
	async function* rows() {
		for (let i = 0; i < EXAMPLES; i++)
			yield `${JSON.stringify({ input: `question ${i}`, output: `answer ${i}` })}\n`;
	}
	const imported = await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'q.jsonl',
		userId: admin.id
	});
	expect(imported).toMatchObject({ ok: true, imported: EXAMPLES });

	// Every lease written is checked, inside its own transaction, against the overlap.
	await watchOverlap(db, OVERLAP);

	const annotators: { id: string }[] = [];
	for (let i = 0; i < ANNOTATORS; i++) annotators.push(await makeUser(db, 'annotator'));
	const perProcess = ANNOTATORS / PROCESSES;
	const tallies = await Promise.all(
		Array.from({ length: PROCESSES }, (_, t) =>
			runProcess({
				databaseUrl,
				projectId: project.id,
				userIds: annotators.slice(t * perProcess, (t + 1) * perProcess).map((a) => a.id),
				seed: t + 1
			})
		)
	);

	const submitted = tallies.reduce((n, t) => n + t.submitted, 0);
	const refused = tallies.flatMap((t) => t.refused);
	const retried = tallies.reduce((n, t) => n + t.retried, 0);
	const duplicates = tallies.reduce((n, t) => n + t.duplicates, 0);
	const q = (text: string) => query(db, text);

	expect(refused).toEqual([]);
	expect(duplicates).toBe(retried);
	// No review lost: every accepted submission is a row, and there are exactly k per example.
	expect(await q('select count(*) as n from review')).toEqual([{ n: submitted }]);
	expect(submitted).toBe(EXAMPLES * OVERLAP);
	expect(
		await q(`select e.id from example e
			where (select count(*) from review r where r.revision_id = e.current_revision_id) != ${OVERLAP}
			or e.review_count != ${OVERLAP} or e.claimable = 1 or e.status not in ('accepted', 'rejected', 'disputed')`)
	).toEqual([]);
	// Nobody reviewed a revision twice, and no lease ever went past the overlap.
	expect(await overlapBroken(db)).toEqual({ pastOverlap: [], reviewedTwice: [] });
	expect(await q('select count(*) as n from lease')).toEqual([{ n: 0 }]);
	// The work was spread: most annotators reviewed something.
	expect(
		((await q('select count(distinct user_id) as n from review'))[0] as { n: number }).n
	).toBeGreaterThan(ANNOTATORS / 2);
});
