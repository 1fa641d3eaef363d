import { count } from 'drizzle-orm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDb, createMigratedDb, type Db } from '$lib/server/db';
import {
	example,
	exampleTag,
	importBatch,
	lease,
	revision,
	type Project
} from '$lib/server/db/schema';
import {
	countByStatus,
	getExampleDetail,
	listExampleGrid,
	listExamples
} from '$lib/server/examples';
import { exampleGridSchema } from '$lib/schemas/examples';
import { discardAbandonedImports, importExamples, IMPORT_IN_PROGRESS } from '$lib/server/import';
import { discardStagedBatch } from '$lib/server/import/staging';
import { markGold, type GoldResult } from '$lib/server/gold';
import { addMember, listProjectsForUser } from '$lib/server/projects';
import { claimNext, queueProgress } from '$lib/server/queue';
import {
	betweenSlices,
	bytesSource,
	jsonl,
	linesSource,
	makeProject,
	makeUser,
	T0
} from '../support/fixtures';
import { testDb } from '../support/database';

// A large import is written in short transactions so that nobody waits behind it, yet it
// stays all or nothing: no reader sees part of it, while it runs or after a crash.

const ROWS = 3000;
const rows = Array.from({ length: ROWS }, (_, i) => ({
	id: `row-${i}`,
	input: `Question number ${i}: where is my parcel?`,
	output: `Answer number ${i}`,
	tags: [i % 2 ? 'odd' : 'even']
}));

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setup() {
	const dir = mkdtempSync(join(tmpdir(), 'winnow-staging-'));
	dirs.push(dir);
	const db = await createMigratedDb(join(dir, 'winnow.db'));
	const admin = await makeUser(db, 'admin');
	const annotator = await makeUser(db, 'annotator');
	const project = await makeProject(db, admin.id);
	await addMember(db, project.id, annotator.id);
	return { db, dir, admin, annotator, project };
}

const rawCount = async (db: Db) => (await db.select({ n: count() }).from(example).limit(1))[0]!.n;

async function importAll(db: Db, target: Project, userId: string, lines = rows, now = T0) {
	return await importExamples(
		db,
		target,
		{ source: linesSource(jsonl(lines)), format: 'jsonl', filename: 'big.jsonl', userId },
		now
	);
}

/** What each kind of reader sees of the project. */
async function seen(db: Db, target: Project, userId: string, viewer: { id: string }) {
	const projectId = target.id;
	const firstStaged = (await db.select({ id: example.id }).from(example).limit(1))[0];
	return {
		listed: (await listExamples(db, projectId, {})).items.length,
		grid: (await listExampleGrid(db, target, {}, exampleGridSchema.parse({}), { role: 'admin' }))
			.total,
		total: (await countByStatus(db, projectId)).total,
		waiting: (await queueProgress(db, projectId, userId, T0)).leftForYou,
		inProjectList:
			(await listProjectsForUser(db, { id: viewer.id, role: 'admin' })).find(
				(p) => p.id === projectId
			)?.total ?? -1,
		detail: firstStaged
			? (await getExampleDetail(db, projectId, firstStaged.id, { role: 'admin' })) !== null
			: false
	};
}

describe('a large import', () => {
	it('lets other work run while it writes, and no reader sees part of it', async () => {
		const { db, admin, annotator, project } = await setup();
		const sightings: Awaited<ReturnType<typeof seen>>[] = [];
		let turnsWhileStaging = 0;
		const { result } = await betweenSlices(importAll(db, project, admin.id), async () => {
			if ((await rawCount(db)) === 0) return;
			turnsWhileStaging += 1;
			sightings.push(await seen(db, project, annotator.id, admin));
			// A claim made now must not lease a row of the import.
			expect(await claimNext(db, project.id, annotator.id, T0)).toBeNull();
		});

		expect(result).toMatchObject({ ok: true, imported: ROWS });
		// The import gave the event loop back many times while its rows were being written…
		expect(turnsWhileStaging).toBeGreaterThan(1);
		// …and at none of those moments did any reader see any of them.
		for (const sighting of sightings) {
			expect(sighting).toEqual({
				listed: 0,
				grid: 0,
				total: 0,
				waiting: 0,
				inProjectList: 0,
				detail: false
			});
		}
		expect((await db.select({ n: count() }).from(lease).limit(1))[0]!.n).toBe(0);
		// Once done, everything is there at once.
		expect((await countByStatus(db, project.id)).total).toBe(ROWS);
		expect(await claimNext(db, project.id, annotator.id, T0)).not.toBeNull();
	});

	it('leaves nothing anyone sees when its process dies half way, and the rows go at the next start', async () => {
		const { db, dir, admin, annotator, project } = await setup();
		const crashed = join(dir, 'crashed.db');
		let copied = false;
		await betweenSlices(importAll(db, project, admin.id), async () => {
			if ((await rawCount(db)) <= ROWS / 3) return;
			// The database file as a crash at this moment would leave it.
			db.$client.exec(`vacuum into '${crashed}'`);
			return (copied = true);
		});
		expect(copied).toBe(true);

		const after = createDb(crashed);
		const staged = await rawCount(after);
		expect(staged).toBeGreaterThan(0);
		expect(staged).toBeLessThan(ROWS);
		expect(await seen(after, project, annotator.id, admin)).toMatchObject({
			listed: 0,
			grid: 0,
			total: 0,
			waiting: 0,
			detail: false
		});
		expect(await claimNext(after, project.id, annotator.id, T0)).toBeNull();

		// At start-up the half-written import is removed, rows, revisions, tags and batch.
		expect(await discardAbandonedImports(after, new Date())).toBe(1);
		const left = async (
			table: typeof example | typeof revision | typeof exampleTag | typeof importBatch
		) => (await after.select({ n: count() }).from(table).limit(1))[0]!.n;
		expect(
			await Promise.all([left(example), left(revision), left(exampleTag), left(importBatch)])
		).toEqual([0, 0, 0, 0]);
		// The same file then imports whole: the dead import held on to none of its rows.
		const again = await importAll(after, project, admin.id);
		expect(again).toMatchObject({ ok: true, imported: ROWS });
		await after.close();
	});

	it('removes an abandoned import only once its importer has been silent long enough', async () => {
		const { db, dir, admin, project } = await setup();
		const crashed = join(dir, 'crashed.db');
		await betweenSlices(importAll(db, project, admin.id), async () => {
			if ((await rawCount(db)) === 0) return;
			db.$client.exec(`vacuum into '${crashed}'`);
			return true;
		});
		const after = createDb(crashed);
		// Another import of the project, ten minutes later, finds it silent and removes it.
		const minute = 60_000;
		const importAt = (at: number) =>
			importAll(after, project, admin.id, [rows[0]], new Date(T0.getTime() + at));
		await importAt(minute);
		expect(await rawCount(after)).toBeGreaterThan(1);
		await importAt(11 * minute);
		expect(await rawCount(after)).toBe(1);
		await after.close();
	});
});

describe('an import in progress, met by other work', () => {
	it('refuses a second import into the project until the first is published, and writes nothing for it', async () => {
		const { db, admin, project } = await setup();
		let second: Awaited<ReturnType<typeof importExamples>> | undefined;
		const { result: first } = await betweenSlices(importAll(db, project, admin.id), async () => {
			if ((await rawCount(db)) === 0 || second) return;
			// Started and finished while the first is staging: it would have skipped the first
			// one's rows as already there.
			void importAll(db, project, admin.id, rows.slice(0, 10)).then((r) => (second = r));
		});
		expect(second).toEqual({ ok: false, rowsRead: 10, errors: [], busy: IMPORT_IN_PROGRESS });
		expect(first).toMatchObject({ ok: true, imported: ROWS });
		expect((await db.select({ n: count() }).from(importBatch).limit(1))[0]!.n).toBe(1);
		// Once it is published, the same rows are simply already there.
		expect(await importAll(db, project, admin.id, rows.slice(0, 10))).toMatchObject({
			ok: true,
			imported: 0,
			skipped: 10
		});
	});

	it('never removes the rows of a batch that was published', async () => {
		const { db, admin, project } = await setup();
		const done = await importAll(db, project, admin.id, rows.slice(0, 50));
		if (!done.ok || done.batchId === null) throw new Error('the import failed');
		await discardStagedBatch(db, done.batchId);
		expect((await countByStatus(db, project.id)).total).toBe(50);
	});

	it('lets nobody make a staged example gold, or be served it as gold', async () => {
		const { db, admin, annotator, project } = await setup();
		const marked: GoldResult[] = [];
		const served: (number | undefined)[] = [];
		await betweenSlices(importAll(db, project, admin.id), async () => {
			const staged = (await db.select({ id: example.id }).from(example).limit(1))[0];
			if (!staged) return;
			marked.push(await markGold(db, project.id, staged.id, 5, T0));
			served.push((await claimNext(db, project.id, annotator.id, T0, [], undefined, 0))?.exampleId);
		});
		expect(marked.length).toBeGreaterThan(0);
		expect(marked.every((m) => !m.ok && m.status === 404)).toBe(true);
		expect(served.every((id) => id === undefined)).toBe(true);
	});
});

describe('bad bytes and oversized fields', () => {
	const project = async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		return { db, admin, project: await makeProject(db, admin.id) };
	};
	const total = async (db: Db) => {
		const counts: number[] = [];
		for (const t of [example, revision, importBatch])
			counts.push((await db.select({ n: count() }).from(t).limit(1))[0]!.n);
		return counts;
	};

	/** Lines joined as bytes, with one line's text replaced by raw bytes. */
	function withBadBytes(lines: string[], badLine: number, bytes: number[]): Uint8Array {
		const parts = lines.map((line, i) =>
			i === badLine - 1
				? Uint8Array.from([...new TextEncoder().encode(line), ...bytes])
				: new TextEncoder().encode(line)
		);
		const out: number[] = [];
		for (const part of parts) out.push(...part, 0x0a);
		return Uint8Array.from(out);
	}

	it('reports a JSONL line that is not UTF-8 and imports nothing', async () => {
		const { db, admin, project: target } = await project();
		const file = withBadBytes(
			[
				JSON.stringify({ input: 'fine', output: 'ok' }),
				'{"input": "caf',
				JSON.stringify({ input: 'also fine', output: 'ok' })
			],
			2,
			// "é" in Latin-1, then the rest of the line.
			[0xe9, ...new TextEncoder().encode('", "output": "x"}')]
		);
		const result = await importExamples(db, target, {
			source: (async function* () {
				yield file;
			})(),
			format: 'jsonl',
			filename: 'latin1.jsonl',
			userId: admin.id
		});
		expect(result).toEqual({
			ok: false,
			rowsRead: 3,
			errors: [
				{
					line: 2,
					message: 'the line is not valid UTF-8; save the file as UTF-8 and import it again'
				}
			]
		});
		expect(await total(db)).toEqual([0, 0, 0]);
	});

	it('reports a CSV line that is not UTF-8 by its line, and keeps later line numbers', async () => {
		const { db, admin, project: target } = await project();
		const file = withBadBytes(
			['input,output', 'one,1', 'tw', 'three,"a', 'b"', 'four,'],
			3,
			[0xff, 0x6f, 0x2c, 0x32]
		);
		const result = await importExamples(db, target, {
			source: (async function* () {
				yield file.subarray(0, 20);
				yield file.subarray(20);
			})(),
			format: 'csv',
			filename: 'bad.csv',
			userId: admin.id
		});
		expect(result.ok).toBe(false);
		if (result.ok) return;
		expect(result.errors).toEqual([
			{
				line: 3,
				message: 'the line is not valid UTF-8; save the file as UTF-8 and import it again'
			}
		]);
		expect(await total(db)).toEqual([0, 0, 0]);
	});

	it('still reads a character cut between two chunks', async () => {
		const { db, admin, project: target } = await project();
		const text = jsonl([{ input: 'Grüße aus Köln 東京', output: 'ok' }]);
		const result = await importExamples(db, target, {
			source: bytesSource(text, 3),
			format: 'jsonl',
			filename: 'utf8.jsonl',
			userId: admin.id
		});
		expect(result).toMatchObject({ ok: true, imported: 1 });
		expect((await listExamples(db, target.id, {})).items[0].inputPreview).toBe(
			'Grüße aus Köln 東京'
		);
	});

	it('refuses a field over the limit with the size and the setting', async () => {
		const { db, admin, project: target } = await project();
		const big = 'x'.repeat(1_100_000);
		const result = await importExamples(db, target, {
			source: linesSource(jsonl([{ input: 'short', output: big }, { input: big }])),
			format: 'jsonl',
			filename: 'big.jsonl',
			userId: admin.id
		});
		expect(result).toEqual({
			ok: false,
			rowsRead: 2,
			errors: [
				{ line: 1, message: '"output" is 1.0 MB; the limit is 1 MB (WINNOW_MAX_FIELD_MB)' },
				{ line: 2, message: '"input" is 1.0 MB; the limit is 1 MB (WINNOW_MAX_FIELD_MB)' }
			]
		});
		// A higher limit takes the same file.
		const allowed = await importExamples(db, target, {
			source: linesSource(jsonl([{ input: 'short', output: big }, { input: big }])),
			format: 'jsonl',
			filename: 'big.jsonl',
			userId: admin.id,
			maxFieldBytes: 2 * 1_048_576
		});
		expect(allowed).toMatchObject({ ok: true, imported: 2 });
	});

	it('refuses a 50 MB line without keeping it, and reads the lines after it', async () => {
		const { db, admin, project: target } = await project();
		const chunk = 'y'.repeat(1_048_576);
		const result = await importExamples(db, target, {
			source: (async function* () {
				yield '{"input": "';
				for (let i = 0; i < 50; i++) yield chunk;
				yield '"}\n' + JSON.stringify({ input: 42 }) + '\n';
			})(),
			format: 'jsonl',
			filename: 'huge.jsonl',
			userId: admin.id
		});
		expect(result).toEqual({
			ok: false,
			rowsRead: 2,
			errors: [
				{
					line: 1,
					message:
						'the line is longer than 4.1 MB, more than its fields may hold (WINNOW_MAX_FIELD_MB); nothing of it was read'
				},
				{ line: 2, message: '"input" must be text, but it is a number' }
			]
		});
		expect(await total(db)).toEqual([0, 0, 0]);
	});
});
