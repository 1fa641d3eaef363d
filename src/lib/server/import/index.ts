import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { parse as parseCsv, type CsvError } from 'csv-parse';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db';
import { example, exampleTag, importBatch, project, revision, type Project } from '../db/schema';
import { compileValidator } from '../../jsonSchema';
import { hashText, splitForInputHash } from '../split';
import { priorityTagOf, randomKey } from '../queuePriority';
import { normalizeRow, type ImportRow, type LineError, type RowRules } from './rows';

export type { ImportRow, LineError } from './rows';

export const IMPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export type ImportSource = AsyncIterable<Uint8Array | string>;

export type ImportResult =
	| { ok: true; batchId: number; rowsRead: number; imported: number; skipped: number }
	| { ok: false; rowsRead: number; errors: LineError[] };

/** The format a file name implies, or null. */
export function formatFromFilename(filename: string): ImportFormat | null {
	const lower = filename.toLowerCase();
	if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json'))
		return 'jsonl';
	if (lower.endsWith('.csv')) return 'csv';
	return null;
}

export function rowRules(found: Project): RowRules {
	return {
		inputKind: found.inputKind,
		outputKind: found.outputKind,
		inputValidator: compileValidator(found.inputSchema),
		outputValidator: compileValidator(found.outputSchema)
	};
}

type Parsed = { rows: ImportRow[]; errors: LineError[]; rowsRead: number };

async function parseJsonl(source: ImportSource, rules: RowRules): Promise<Parsed> {
	const parsed: Parsed = { rows: [], errors: [], rowsRead: 0 };
	const lines = createInterface({ input: Readable.from(source), crlfDelay: Infinity });
	let lineNumber = 0;
	for await (const rawLine of lines) {
		lineNumber += 1;
		const text = (lineNumber === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine).trim();
		if (text === '') continue;
		parsed.rowsRead += 1;
		let value: unknown;
		try {
			value = JSON.parse(text);
		} catch (e) {
			parsed.errors.push({ line: lineNumber, message: `invalid JSON: ${(e as Error).message}` });
			continue;
		}
		const result = normalizeRow(value, lineNumber, rules);
		if ('error' in result) parsed.errors.push(result.error);
		else parsed.rows.push(result.row);
	}
	return parsed;
}

const CSV_COLUMNS = ['input', 'output', 'tags', 'id'];

/**
 * Text with Windows line breaks made plain, so a break inside a quoted cell counts as one
 * line and line numbers stay right. Decodes UTF-8 across chunk boundaries.
 */
async function* plainLineBreaks(source: ImportSource): AsyncGenerator<string> {
	const decoder = new TextDecoder('utf-8');
	let carry = '';
	for await (const chunk of source) {
		let text =
			carry + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
		carry = text.endsWith('\r') ? '\r' : '';
		if (carry) text = text.slice(0, -1);
		yield text.replace(/\r\n/g, '\n');
	}
	const rest = carry + decoder.decode();
	if (rest) yield rest.replace(/\r\n/g, '\n');
}

function csvProblem(err: CsvError): string {
	const counts = /columns length is (\d+), got (\d+)/.exec(err.message);
	if (counts) return `expected ${counts[1]} columns as in the header, found ${counts[2]}`;
	return err.message.replace(/^Invalid (Record|Opening Quote|Closing Quote)[^:]*: /, '');
}

async function parseCsvRows(source: ImportSource, rules: RowRules): Promise<Parsed> {
	const parsed: Parsed = { rows: [], errors: [], rowsRead: 0 };
	let headerProblem: string | null = null;
	const parser = parseCsv({
		bom: true,
		columns: (header: string[]) => {
			const names = header.map((h) => String(h).trim().toLowerCase());
			if (!names.includes('input')) {
				headerProblem = `the first line must name the columns, including "input" (found: ${names.join(', ') || 'nothing'})`;
			}
			// Columns Winnow does not know are ignored rather than refused.
			return names.map((name) => (CSV_COLUMNS.includes(name) ? name : false));
		},
		skip_empty_lines: true,
		skip_records_with_error: true,
		info: true,
		raw: true
	});
	parser.on('skip', (err: CsvError) => {
		parsed.rowsRead += 1;
		parsed.errors.push({ line: Number(err.lines ?? 0), message: csvProblem(err) });
	});
	const records = Readable.from(plainLineBreaks(source)).pipe(parser);
	try {
		for await (const { record, info, raw } of records as AsyncIterable<{
			record: Record<string, string>;
			info: { lines: number };
			raw: string;
		}>) {
			if (headerProblem) break;
			parsed.rowsRead += 1;
			// A record's line is where it starts, though a quoted cell may span several.
			const spanned = (raw.replace(/\n$/, '').match(/\n/g) ?? []).length;
			const result = normalizeRow(record, info.lines - spanned, rules);
			if ('error' in result) parsed.errors.push(result.error);
			else parsed.rows.push(result.row);
		}
	} catch (e) {
		const err = e as CsvError;
		parsed.errors.push({
			line: Number(err.lines ?? 0),
			message: `unreadable CSV: ${csvProblem(err)}`
		});
	}
	if (headerProblem)
		return { rows: [], errors: [{ line: 1, message: headerProblem }], rowsRead: 0 };
	return parsed;
}

export async function parseImport(
	source: ImportSource,
	format: ImportFormat,
	rules: RowRules
): Promise<Parsed> {
	const parsed =
		format === 'csv' ? await parseCsvRows(source, rules) : await parseJsonl(source, rules);
	parsed.errors.sort((a, b) => a.line - b.line);
	return parsed;
}

/** Idempotency: an explicit id wins; otherwise the same input and output are the same example. */
export function dedupeKey(row: Pick<ImportRow, 'externalId' | 'input' | 'output'>): string {
	return row.externalId !== null
		? `id:${row.externalId}`
		: `content:${hashText(`${row.input}\u0000${row.output ?? ''}`)}`;
}

/**
 * Writes checked rows in one transaction. Rows whose dedupe key is already in the project are
 * skipped, so importing the same file again adds nothing.
 */
export function insertRows(
	db: Db,
	target: Project,
	rows: ImportRow[],
	meta: { userId: string | null; filename: string; format: ImportFormat; rowsRead: number },
	now = new Date()
): { batchId: number; imported: number; skipped: number } {
	const at = now;
	const existingSplit = db
		.select({ split: example.split })
		.from(example)
		.where(
			and(
				eq(example.projectId, sql.placeholder('projectId')),
				eq(example.inputHash, sql.placeholder('inputHash'))
			)
		)
		.limit(1)
		.prepare();
	const insertExample = db
		.insert(example)
		.values({
			projectId: sql.placeholder('projectId'),
			externalId: sql.placeholder('externalId'),
			dedupeKey: sql.placeholder('dedupeKey'),
			input: sql.placeholder('input'),
			inputHash: sql.placeholder('inputHash'),
			split: sql.placeholder('split'),
			source: 'import',
			importId: sql.placeholder('importId'),
			status: 'queued',
			claimable: sql.placeholder('claimable'),
			priority: sql.placeholder('priority'),
			randomKey: sql.placeholder('randomKey'),
			createdAt: sql.placeholder('at'),
			updatedAt: sql.placeholder('at')
		})
		.onConflictDoNothing()
		.returning({ id: example.id })
		.prepare();
	const insertRevision = db
		.insert(revision)
		.values({
			exampleId: sql.placeholder('exampleId'),
			number: 1,
			output: sql.placeholder('output'),
			authorKind: 'import',
			authorUserId: sql.placeholder('userId'),
			reason: 'imported',
			// Raw, because the boolean column would store an empty value as false.
			schemaValid: sql<boolean | null>`${sql.placeholder('schemaValid')}`,
			createdAt: sql.placeholder('at')
		})
		.returning({ id: revision.id })
		.prepare();
	const setCurrent = db
		.update(example)
		.set({ currentRevisionId: sql<number>`${sql.placeholder('revisionId')}` })
		.where(eq(example.id, sql.placeholder('exampleId')))
		.prepare();
	const insertTag = db
		.insert(exampleTag)
		.values({ exampleId: sql.placeholder('exampleId'), tag: sql.placeholder('tag') })
		.onConflictDoNothing()
		.prepare();
	const hasOutputSchema = target.outputKind === 'json' && !!target.outputSchema;
	const priorityTag = priorityTagOf(target.queuePriority);

	return db.transaction((tx) => {
		const batch = tx
			.insert(importBatch)
			.values({
				projectId: target.id,
				userId: meta.userId,
				filename: meta.filename,
				format: meta.format,
				rowsRead: meta.rowsRead,
				rowsImported: 0,
				createdAt: now
			})
			.returning({ id: importBatch.id })
			.get();
		let imported = 0;
		for (const row of rows) {
			const inputHash = hashText(row.input);
			const split =
				existingSplit.get({ projectId: target.id, inputHash })?.split ??
				splitForInputHash(inputHash, target);
			const created = insertExample.get({
				projectId: target.id,
				externalId: row.externalId,
				dedupeKey: dedupeKey(row),
				input: row.input,
				inputHash,
				split,
				importId: batch.id,
				claimable: row.output !== null,
				priority: priorityTag !== null && row.tags.includes(priorityTag) ? 1 : 0,
				randomKey: randomKey(),
				at
			});
			if (!created) continue;
			imported += 1;
			const rev = insertRevision.get({
				exampleId: created.id,
				output: row.output,
				userId: meta.userId,
				schemaValid: hasOutputSchema && row.output !== null ? 1 : null,
				at
			})!;
			setCurrent.run({ revisionId: rev.id, exampleId: created.id });
			for (const tag of row.tags) insertTag.run({ exampleId: created.id, tag });
		}
		tx.update(importBatch)
			.set({ rowsImported: imported })
			.where(eq(importBatch.id, batch.id))
			.run();
		tx.update(project).set({ updatedAt: now }).where(eq(project.id, target.id)).run();
		return { batchId: batch.id, imported, skipped: rows.length - imported };
	});
}

/**
 * Imports a file all or nothing: a file with any bad line is answered with every bad line
 * and nothing is written.
 */
export async function importExamples(
	db: Db,
	target: Project,
	input: { source: ImportSource; format: ImportFormat; filename: string; userId: string | null },
	now = new Date()
): Promise<ImportResult> {
	const parsed = await parseImport(input.source, input.format, rowRules(target));
	if (parsed.errors.length > 0) {
		return { ok: false, rowsRead: parsed.rowsRead, errors: parsed.errors };
	}
	if (parsed.rows.length === 0) {
		return { ok: false, rowsRead: 0, errors: [{ line: 1, message: 'the file has no rows' }] };
	}
	const written = insertRows(
		db,
		target,
		parsed.rows,
		{
			userId: input.userId,
			filename: input.filename,
			format: input.format,
			rowsRead: parsed.rowsRead
		},
		now
	);
	return { ok: true, rowsRead: parsed.rowsRead, ...written };
}
