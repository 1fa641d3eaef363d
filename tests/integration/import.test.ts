import { asc, count, eq, isNull } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { type Db } from '$lib/server/db';
import { example, exampleTag, importBatch, revision, type Project } from '$lib/server/db/schema';
import { countBySplit } from '$lib/server/examples';
import { importExamples, type ImportFormat, type ImportSource } from '$lib/server/import';
import { getProject, updateProject } from '$lib/server/projects';
import { hashText, splitForInputHash } from '$lib/server/split';
import type { ProjectInput } from '$lib/schemas/project';
import {
	bytesSource,
	jsonl,
	linesSource,
	makeProject,
	makeUser,
	projectInput,
	T0,
	examplesOf
} from '../support/fixtures';
import { testDb } from '../support/database';

const ANSWER_SCHEMA = JSON.stringify({
	type: 'object',
	required: ['answer'],
	properties: { answer: { type: 'string' } }
});

async function setup(overrides: Partial<ProjectInput> = {}) {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const project = await makeProject(db, admin.id, overrides);
	return { db, admin, project };
}

async function runImport(
	db: Db,
	target: Project,
	text: string | ImportSource,
	format: ImportFormat = 'jsonl',
	now = T0
) {
	return await importExamples(
		db,
		target,
		{
			source: typeof text === 'string' ? linesSource(text) : text,
			format,
			filename: `upload.${format}`,
			userId: target.createdBy
		},
		now
	);
}

async function tableCounts(db: Db) {
	const rows = async (table: SQLiteTable) =>
		(await db.select({ n: count() }).from(table).limit(1))[0]!.n;
	return {
		examples: await rows(example),
		revisions: await rows(revision),
		batches: await rows(importBatch),
		tags: await rows(exampleTag)
	};
}

async function tagsOf(db: Db, exampleId: number) {
	return (
		await db
			.select({ tag: exampleTag.tag })
			.from(exampleTag)
			.where(eq(exampleTag.exampleId, exampleId))
			.orderBy(asc(exampleTag.tag))
	).map((r) => r.tag);
}

async function revisionsOf(db: Db, exampleId: number) {
	return await db.select().from(revision).where(eq(revision.exampleId, exampleId));
}

const expectedSplit = (input: string, ratios: Project) =>
	splitForInputHash(hashText(input), ratios);

describe('importExamples: good files', () => {
	it('imports JSONL rows with a first revision, tags and a split each', async () => {
		const { db, admin, project } = await setup();
		const later = new Date(T0.getTime() + 60_000);
		const rows = [
			{ input: 'Where is my parcel?', output: 'It ships today.', tags: ['shipping', 'late'] },
			{ id: 'T-2', input: 'Can I get a refund?', output: 'Yes, within 30 days.', tags: 'refunds' },
			{ input: 'Do you ship to Norway?' },
			{ input: 'Grüße aus Köln 🌍', output: 'Danke!', tags: [] }
		];

		const result = await runImport(db, project, jsonl(rows), 'jsonl', later);

		expect(result).toEqual({
			ok: true,
			batchId: expect.any(Number),
			rowsRead: 4,
			imported: 4,
			skipped: 0
		});
		if (!result.ok) return;
		const stored = await examplesOf(db, project.id);
		expect(stored.map((e) => e.input)).toEqual(rows.map((r) => r.input));
		for (const [index, row] of stored.entries()) {
			expect(row).toMatchObject({
				source: 'import',
				status: 'queued',
				importId: result.batchId,
				inputHash: hashText(rows[index].input),
				split: expectedSplit(rows[index].input, project),
				createdAt: later,
				updatedAt: later
			});
			expect(['train', 'val', 'test']).toContain(row.split);
			const revisions = await revisionsOf(db, row.id);
			expect(revisions).toHaveLength(1);
			expect(revisions[0]).toMatchObject({
				number: 1,
				authorKind: 'import',
				authorUserId: admin.id,
				parentRevisionId: null,
				output: rows[index].output ?? null,
				reason: 'imported',
				createdAt: later
			});
			expect(row.currentRevisionId).toBe(revisions[0].id);
		}
		expect(stored.map((e) => e.externalId)).toEqual([null, 'T-2', null, null]);
		expect(await Promise.all(stored.map((e) => tagsOf(db, e.id)))).toEqual([
			['late', 'shipping'],
			['refunds'],
			[],
			[]
		]);
		const batch = (await db.select().from(importBatch).limit(1))[0];
		expect(batch).toMatchObject({
			id: result.batchId,
			projectId: project.id,
			userId: admin.id,
			filename: 'upload.jsonl',
			format: 'jsonl',
			rowsRead: 4,
			rowsImported: 4
		});
		expect((await getProject(db, project.id))?.updatedAt).toEqual(later);
	});

	it('stores JSON output compactly and marks it schema-valid', async () => {
		const { db, project } = await setup({ outputKind: 'json', outputSchema: ANSWER_SCHEMA });
		const result = await runImport(
			db,
			project,
			jsonl([
				{ input: 'Capital of France?', output: { answer: 'Paris' } },
				{ input: 'Capital of Peru?', output: '{ "answer": "Lima" }' },
				{ input: 'Capital of Chad?' }
			])
		);

		expect(result).toMatchObject({ ok: true, imported: 3 });
		const revisions = await db.select().from(revision).orderBy(asc(revision.id));
		expect(revisions.map((r) => r.output)).toEqual([
			'{"answer":"Paris"}',
			'{"answer":"Lima"}',
			null
		]);
		expect(revisions.slice(0, 2).map((r) => r.schemaValid)).toEqual([true, true]);
	});

	// The revision's schemaValid is bound through a placeholder on a boolean column, whose
	// encoder turns null into 0, so "not checked" is stored as "invalid". Remove `.fails` once
	// insertRows binds it without the column encoder.
	it('leaves schemaValid empty when there is no schema or no output', async () => {
		const { db, admin, project } = await setup();
		const jsonProject = await makeProject(db, admin.id, {
			outputKind: 'json',
			outputSchema: ANSWER_SCHEMA
		});
		await runImport(db, project, jsonl([{ input: 'text project', output: 'plain' }]));
		await runImport(db, jsonProject, jsonl([{ input: 'json project, no output yet' }]));

		const revisions = await db.select().from(revision).orderBy(asc(revision.id));
		expect(revisions.map((r) => r.schemaValid)).toEqual([null, null]);
	});

	it('imports CSV with quoted multi-line fields and a tags column, ignoring unknown columns', async () => {
		const { db, project } = await setup();
		const csv = [
			'id,input,output,tags,reviewer_notes',
			',"Where is my order?',
			'It was due on Monday.","It ships today, sorry for the ""delay"".","a,b",internal only',
			'c-2,Plain question,Plain answer,,second note',
			'c-3,"Only an input",,"  b , c ",'
		].join('\n');

		const result = await runImport(db, project, csv + '\n', 'csv');

		expect(result).toMatchObject({ ok: true, rowsRead: 3, imported: 3, skipped: 0 });
		const stored = await examplesOf(db, project.id);
		expect(stored.map((e) => [e.externalId, e.input])).toEqual([
			[null, 'Where is my order?\nIt was due on Monday.'],
			['c-2', 'Plain question'],
			['c-3', 'Only an input']
		]);
		expect(
			await Promise.all(stored.map(async (e) => (await revisionsOf(db, e.id))[0].output))
		).toEqual(['It ships today, sorry for the "delay".', 'Plain answer', null]);
		expect(await Promise.all(stored.map((e) => tagsOf(db, e.id)))).toEqual([
			['a', 'b'],
			[],
			['b', 'c']
		]);
		const everything = JSON.stringify(await db.select().from(example));
		expect(everything).not.toContain('internal only');
		expect(everything).not.toContain('second note');
	});

	it('reads the OpenAI chat format', async () => {
		const { db, project } = await setup();
		const system = { role: 'system', content: 'You are a helpful agent.' };
		const file = jsonl([
			{
				messages: [
					system,
					{ role: 'user', content: 'Hi, my card was charged twice.' },
					{ role: 'assistant', content: 'Sorry! I have refunded one charge.' }
				]
			},
			{
				messages: [
					system,
					{ role: 'user', content: 'Earlier question' },
					{ role: 'assistant', content: 'Earlier answer' },
					{
						role: 'user',
						content: [
							{ type: 'text', text: 'What does this error mean?' },
							{ type: 'text', text: 'E42: quota' }
						]
					},
					{ role: 'assistant', content: [{ type: 'text', text: 'You ran out of quota.' }] }
				],
				tags: ['errors']
			},
			{ messages: [system, { role: 'user', content: 'Is anyone there?' }] }
		]);

		const result = await runImport(db, project, file);

		expect(result).toMatchObject({ ok: true, imported: 3 });
		const stored = await examplesOf(db, project.id);
		expect(
			await Promise.all(
				stored.map(async (e) => ({
					input: e.input,
					output: (await revisionsOf(db, e.id))[0].output
				}))
			)
		).toEqual([
			{ input: 'Hi, my card was charged twice.', output: 'Sorry! I have refunded one charge.' },
			{ input: 'What does this error mean?\nE42: quota', output: 'You ran out of quota.' },
			{ input: 'Is anyone there?', output: null }
		]);
		expect(await tagsOf(db, stored[1].id)).toEqual(['errors']);
	});

	it('reads UTF-8 cut in the middle of characters, and a leading byte-order mark', async () => {
		const { db, project } = await setup();
		const inputs = ['naïve café', '日本語の質問', 'emoji 🎉🎉 party'];
		const file = '\uFEFF' + jsonl(inputs.map((input) => ({ input, output: `${input}!` })));
		const csv =
			'\uFEFFinput,output\n' + inputs.map((input) => `"${input} (csv)",ok`).join('\n') + '\n';

		expect(await runImport(db, project, bytesSource(file, 5))).toMatchObject({
			ok: true,
			imported: 3
		});
		expect(await runImport(db, project, bytesSource(csv, 3), 'csv')).toMatchObject({
			ok: true,
			imported: 3
		});
		expect((await examplesOf(db, project.id)).map((e) => e.input)).toEqual([
			...inputs,
			...inputs.map((input) => `${input} (csv)`)
		]);
	});

	it('imports 5,000 rows in one go', async () => {
		const { db, project } = await setup();
		const rows = Array.from({ length: 5_000 }, (_, i) => ({
			id: `row-${i}`,
			input: `Question number ${i}: how do I reset my password?`,
			output: `Answer ${i}: use the link on the sign-in page.`,
			tags: i % 2 === 0 ? ['even'] : ['odd', `group-${i % 7}`]
		}));

		const result = await runImport(db, project, bytesSource(jsonl(rows), 64 * 1024));

		expect(result).toMatchObject({ ok: true, rowsRead: 5_000, imported: 5_000, skipped: 0 });
		expect(await tableCounts(db)).toEqual({
			examples: 5_000,
			revisions: 5_000,
			batches: 1,
			tags: 2_500 + 2 * 2_500
		});
		const withoutRevision = (
			await db
				.select({ n: count() })
				.from(example)
				.where(isNull(example.currentRevisionId))
				.limit(1)
		)[0]!.n;
		expect(withoutRevision).toBe(0);
	});
});

describe('importExamples: bad files write nothing', () => {
	it('reports every bad JSONL line with its line number', async () => {
		const { db, project } = await setup({ outputKind: 'json', outputSchema: ANSWER_SCHEMA });
		const lines = [
			JSON.stringify({ input: 'good one', output: { answer: 'a' } }),
			'{"input": "unterminated',
			JSON.stringify({ input: 'good two', output: { answer: 'b' } }),
			JSON.stringify({ output: { answer: 'no input' } }),
			'',
			JSON.stringify({ input: 42, output: { answer: 'c' } }),
			JSON.stringify({ input: 'good three' }),
			JSON.stringify({ input: 'wrong shape', output: { reply: 'd' } }),
			JSON.stringify({ input: 'not json output', output: 'plain words' })
		];

		const result = await runImport(db, project, lines.join('\n') + '\n');

		expect(result.ok).toBe(false);
		if (result.ok) return;
		expect(result.rowsRead).toBe(8);
		expect(result.errors.map((e) => e.line)).toEqual([2, 4, 6, 8, 9]);
		expect(result.errors[0].message).toMatch(/^invalid JSON: /);
		expect(result.errors[1].message).toBe('missing "input" (or a "messages" list)');
		expect(result.errors[2].message).toBe('"input" must be text, but it is a number');
		expect(result.errors[3].message).toMatch(/^"output" fails the project's schema: .*answer/);
		expect(result.errors[4].message).toBe(
			'"output" must be JSON for this project, but it is not valid JSON'
		);
		expect(await tableCounts(db)).toEqual({ examples: 0, revisions: 0, batches: 0, tags: 0 });
		expect((await getProject(db, project.id))?.updatedAt).toEqual(T0);
	});

	it('counts lines the way an editor does, with CRLF endings', async () => {
		const { db, project } = await setup();
		const file = ['{"input":"a"}', '', '{"input":', '{"input":"b"}', '[]'].join('\r\n');

		const result = await runImport(db, project, file);

		expect(result).toMatchObject({ ok: false, rowsRead: 4 });
		if (result.ok) return;
		expect(result.errors).toEqual([
			{ line: 3, message: expect.stringMatching(/^invalid JSON/) },
			{ line: 5, message: 'each line must be a JSON object, but this is a list' }
		]);
		expect((await tableCounts(db)).examples).toBe(0);
	});

	it('reports CSV lines with the wrong number of columns', async () => {
		const { db, project } = await setup();
		const csv = [
			'input,output',
			'fine,row',
			'too,many,columns',
			'short',
			'"multi',
			'line",ok',
			'also,one,too,many'
		].join('\n');

		const result = await runImport(db, project, csv + '\n', 'csv');

		expect(result).toEqual({
			ok: false,
			rowsRead: 5,
			errors: [
				{ line: 3, message: 'expected 2 columns as in the header, found 3' },
				{ line: 4, message: 'expected 2 columns as in the header, found 1' },
				{ line: 7, message: 'expected 2 columns as in the header, found 4' }
			]
		});
		expect(await tableCounts(db)).toEqual({ examples: 0, revisions: 0, batches: 0, tags: 0 });
	});

	// csv-parse alone counts a CRLF inside a quoted field as two lines.
	it('keeps CSV line numbers right after a quoted field with a CRLF inside', async () => {
		const { db, project } = await setup();
		const csv = ['input,output', '"first', 'second",a', 'bad'].join('\r\n') + '\r\n';

		const result = await runImport(db, project, csv, 'csv');

		expect(result).toMatchObject({
			ok: false,
			errors: [{ line: 4, message: 'expected 2 columns as in the header, found 1' }]
		});
	});

	it('names the line a multi-line CSV record starts on', async () => {
		const { db, project } = await setup();
		const csv = ['input,output', 'fine,row', '"spans', 'three', 'lines",42', 'last,row'].join('\n');
		const jsonProject = await makeProject(db, project.createdBy!, {
			name: 'JSON out',
			outputKind: 'json'
		});

		const result = await runImport(db, jsonProject, csv + '\n', 'csv');

		expect(result).toMatchObject({ ok: false });
		const lines = result.ok ? [] : result.errors.map((e) => e.line);
		// "row" is not JSON on lines 2 and 6; the record on lines 3–5 has valid JSON output 42.
		expect(lines).toEqual([2, 6]);
		const bad = ['input,output', 'fine,1', '"spans', 'three', 'lines",oops'].join('\n');
		const second = await runImport(db, jsonProject, bad + '\n', 'csv');
		expect(second.ok ? [] : second.errors.map((e) => e.line)).toEqual([3]);
	});

	it('does not take a messages column for the input in CSV', async () => {
		const { db, project } = await setup();
		const result = await runImport(db, project, 'messages,output\n"[]",a\n', 'csv');
		expect(result).toMatchObject({ ok: false, errors: [{ line: 1 }] });
	});

	it('refuses a CSV whose header has no input column', async () => {
		const { db, project } = await setup();

		const result = await runImport(db, project, 'question,answer\nq1,a1\nq2,a2\n', 'csv');

		expect(result).toEqual({
			ok: false,
			rowsRead: 0,
			errors: [
				{
					line: 1,
					message:
						'the first line must name the columns, including "input" (found: question, answer)'
				}
			]
		});
		expect((await tableCounts(db)).examples).toBe(0);
	});

	it('refuses an empty file', async () => {
		const { db, project } = await setup();

		const result = await runImport(db, project, '\n\n');

		expect(result).toEqual({
			ok: false,
			rowsRead: 0,
			errors: [{ line: 1, message: 'the file has no rows' }]
		});
		expect((await tableCounts(db)).batches).toBe(0);
	});
});

describe('importExamples: idempotency', () => {
	it('adds nothing when the same file without ids comes again', async () => {
		const { db, project } = await setup();
		const file = jsonl([
			{ input: 'a', output: '1', tags: ['x'] },
			{ input: 'b', output: '2' },
			{ input: 'c' }
		]);

		const first = await runImport(db, project, file);
		const before = await tableCounts(db);
		const second = await runImport(db, project, file);

		expect(first).toMatchObject({ ok: true, imported: 3, skipped: 0 });
		// Nothing new: nothing is recorded, not even an empty batch.
		expect(second).toMatchObject({ ok: true, rowsRead: 3, imported: 0, skipped: 3, batchId: null });
		expect(await tableCounts(db)).toEqual(before);
		expect(before).toMatchObject({ examples: 3, revisions: 3, tags: 1, batches: 1 });
		const batches = await db.select().from(importBatch).orderBy(asc(importBatch.id));
		expect(batches.map((b) => [b.rowsImported, b.state])).toEqual([[3, 'done']]);
	});

	it('takes an id as the identity of a row, whatever its content', async () => {
		const { db, project } = await setup();
		await runImport(
			db,
			project,
			jsonl([
				{ id: 'q1', input: 'a', output: '1' },
				{ id: 'q2', input: 'b', output: '2' }
			])
		);

		const again = await runImport(
			db,
			project,
			jsonl([
				{ id: 'q1', input: 'a', output: 'edited answer' },
				{ id: 'q2', input: 'b', output: '2' },
				{ id: 'q3', input: 'a', output: '1' }
			])
		);

		expect(again).toMatchObject({ ok: true, imported: 1, skipped: 2 });
		const stored = await examplesOf(db, project.id);
		expect(stored.map((e) => e.externalId)).toEqual(['q1', 'q2', 'q3']);
		expect((await revisionsOf(db, stored[0].id)).map((r) => r.output)).toEqual(['1']);
	});

	it('treats the same input with another output as another example', async () => {
		const { db, project } = await setup();
		await runImport(db, project, jsonl([{ input: 'a', output: '1' }]));

		const result = await runImport(db, project, jsonl([{ input: 'a', output: '2' }]));

		expect(result).toMatchObject({ imported: 1, skipped: 0 });
		expect(await examplesOf(db, project.id)).toHaveLength(2);
	});

	it('imports a row repeated within one file once', async () => {
		const { db, project } = await setup();
		const file = jsonl([
			{ input: 'same', output: 'same' },
			{ input: 'other', output: 'x' },
			{ input: 'same', output: 'same', tags: ['late-copy'] },
			{ id: 'k', input: 'first with k' },
			{ id: 'k', input: 'second with k' }
		]);

		const result = await runImport(db, project, file);

		expect(result).toMatchObject({ ok: true, rowsRead: 5, imported: 3, skipped: 2 });
		expect((await examplesOf(db, project.id)).map((e) => e.input)).toEqual([
			'same',
			'other',
			'first with k'
		]);
		expect(await tableCounts(db)).toMatchObject({ examples: 3, revisions: 3, tags: 0 });
	});

	it('keeps projects apart: the same file imports into each', async () => {
		const { db, admin, project } = await setup();
		const other = await makeProject(db, admin.id, { name: 'Other' });
		const file = jsonl([{ input: 'a', output: '1' }]);

		await runImport(db, project, file);
		const result = await runImport(db, other, file);

		expect(result).toMatchObject({ imported: 1, skipped: 0 });
	});
});

describe('importExamples: splits', () => {
	it('puts the same input in the same split every time', async () => {
		const { db, project } = await setup();
		const inputs = Array.from({ length: 30 }, (_, i) => `recurring input ${i}`);
		await runImport(db, project, jsonl(inputs.map((input) => ({ input, output: 'v1' }))));
		await runImport(
			db,
			project,
			jsonl([...inputs].reverse().map((input) => ({ input, output: 'v2' })))
		);

		const stored = await examplesOf(db, project.id);
		expect(stored).toHaveLength(60);
		const splitsByInput = new Map<string, Set<string>>();
		for (const row of stored) {
			splitsByInput.set(row.input, (splitsByInput.get(row.input) ?? new Set()).add(row.split));
		}
		for (const [input, splits] of splitsByInput) {
			expect([...splits]).toEqual([expectedSplit(input, project)]);
		}
	});

	it('keeps the split of a known input after the ratios change', async () => {
		const { db, project } = await setup();
		const newRatios = { splitTrain: 10, splitVal: 10, splitTest: 80 };
		const candidates = Array.from({ length: 200 }, (_, i) => `candidate ${i}`);
		const known = candidates.find(
			(c) =>
				expectedSplit(c, project) === 'train' &&
				splitForInputHash(hashText(c), newRatios) === 'test'
		)!;
		const fresh = candidates.find(
			(c) =>
				c !== known &&
				expectedSplit(c, project) === 'train' &&
				splitForInputHash(hashText(c), newRatios) === 'test'
		)!;
		expect(known).toBeDefined();
		expect(fresh).toBeDefined();
		await runImport(db, project, jsonl([{ input: known, output: 'old' }]));

		await updateProject(db, project.id, projectInput(newRatios), new Date(T0.getTime() + 1_000));
		const changed = (await getProject(db, project.id))!;
		expect(changed).toMatchObject(newRatios);
		const result = await runImport(
			db,
			changed,
			jsonl([
				{ input: known, output: 'new' },
				{ input: fresh, output: 'new' }
			])
		);

		expect(result).toMatchObject({ imported: 2 });
		const splits = (await examplesOf(db, project.id)).map((e) => [e.input, e.split]);
		expect(splits).toEqual([
			[known, 'train'],
			[known, 'train'],
			[fresh, 'test']
		]);
	});

	it('divides about 80/10/10 over 2,000 distinct inputs', async () => {
		const { db, project } = await setup();
		const rows = Array.from({ length: 2_000 }, (_, i) => ({
			input: `Distinct customer message #${i}`
		}));

		await runImport(db, project, jsonl(rows));

		const counts = await countBySplit(db, project.id);
		expect(counts.train + counts.val + counts.test).toBe(2_000);
		expect(counts.train).toBeGreaterThanOrEqual(1_500);
		expect(counts.train).toBeLessThanOrEqual(1_700);
		expect(counts.val).toBeGreaterThanOrEqual(140);
		expect(counts.val).toBeLessThanOrEqual(260);
		expect(counts.test).toBeGreaterThanOrEqual(140);
		expect(counts.test).toBeLessThanOrEqual(260);
	});

	it('follows the ratios of the project it imports into', async () => {
		const { db, project } = await setup({ splitTrain: 50, splitVal: 0, splitTest: 50 });
		const rows = Array.from({ length: 400 }, (_, i) => ({ input: `half and half ${i}` }));

		await runImport(db, project, jsonl(rows));

		const counts = await countBySplit(db, project.id);
		expect(counts.val).toBe(0);
		expect(counts.train).toBeGreaterThan(150);
		expect(counts.test).toBeGreaterThan(150);
	});
});
