import { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { parse as parseCsv, type CsvError } from 'csv-parse';
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db';
import {
	example,
	exampleTag,
	importBatch,
	project,
	revision,
	type ImportState,
	type Project
} from '../db/schema';
import { compileValidator } from '../../jsonSchema';
import type { LabelSet } from '../../schemas/labels';
import { hashText, preparedKnownSplit, splitForInputHash } from '../split';
import { priorityTagOf, randomKey } from '../queuePriority';
import {
	DEFAULT_MAX_FIELD_BYTES,
	conversationRows,
	normalizeRow,
	type ImportRow,
	type LineError,
	type RowRules
} from './rows';
import { discardAbandonedImports, discardStagedBatch, STAGING_ABANDONED_AFTER_MS } from './staging';
import { inSlices, SLICE_MS, yieldToOthers } from '../longWork';

export type { ImportRow, LineError } from './rows';
export { DEFAULT_MAX_FIELD_BYTES } from './rows';
export { discardAbandonedImports, notStaged } from './staging';

export const IMPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export type ImportSource = AsyncIterable<Uint8Array | string>;

export type ImportResult =
	| {
			ok: true;
			/** Null when every row was already in the project: nothing new, nothing recorded. */
			batchId: number | null;
			rowsRead: number;
			imported: number;
			skipped: number;
	  }
	| {
			ok: false;
			rowsRead: number;
			errors: LineError[];
			/** Another import into the project is still being written: try again later (409). */
			busy?: string;
	  };

/** What a second import into a project meets while the first is still being written. */
export const IMPORT_IN_PROGRESS =
	'Another import into this project is still being written. Send this file again once it has finished: until then its rows could not be told apart from that one’s.';

/** The format a file name implies, or null. */
export function formatFromFilename(filename: string): ImportFormat | null {
	const lower = filename.toLowerCase();
	if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json'))
		return 'jsonl';
	if (lower.endsWith('.csv')) return 'csv';
	return null;
}

export function rowRules(found: Project, maxFieldBytes = DEFAULT_MAX_FIELD_BYTES): RowRules {
	return {
		inputKind: found.inputKind,
		outputKind: found.outputKind,
		conversationTurns: found.conversationTurns,
		labelSet: found.labelSet ? (JSON.parse(found.labelSet) as LabelSet) : undefined,
		inputValidator: compileValidator(found.inputSchema),
		outputValidator: compileValidator(found.outputSchema),
		maxFieldBytes
	};
}

/** A line may hold two fields at the limit, escaped, with room for tags and an id. */
function maxLineBytes(rules: RowRules): number {
	return 4 * rules.maxFieldBytes + 65_536;
}

/**
 * The lines of an upload, numbered from 1, decoded as UTF-8. A line that is not valid UTF-8 or
 * longer than the limit is reported in `errors` (and its text is not kept); its number is used
 * all the same, so later lines keep their numbers.
 */
async function* checkedLines(
	source: ImportSource,
	maxBytes: number,
	errors: LineError[]
): AsyncGenerator<{ line: number; text: string | null }> {
	let pending: Buffer[] = [];
	let pendingBytes = 0;
	let tooLong = false;
	let line = 0;
	let sliceStart = performance.now();
	const finish = (last: Buffer): { line: number; text: string | null } => {
		line += 1;
		const parts = pending;
		const size = pendingBytes + last.length;
		pending = [];
		pendingBytes = 0;
		if (tooLong || size > maxBytes) {
			tooLong = false;
			errors.push({
				line,
				message: `the line is longer than ${formatBytes(maxBytes)}, more than its fields may hold (WINNOW_MAX_FIELD_MB); nothing of it was read`
			});
			return { line, text: null };
		}
		let bytes = parts.length ? Buffer.concat([...parts, last]) : last;
		if (bytes.at(-1) === 0x0d) bytes = bytes.subarray(0, -1);
		if (!isUtf8(bytes)) {
			errors.push({
				line,
				message: 'the line is not valid UTF-8; save the file as UTF-8 and import it again'
			});
			return { line, text: null };
		}
		const text = bytes.toString('utf8');
		return { line, text: line === 1 ? text.replace(/^\uFEFF/, '') : text };
	};
	for await (const chunk of source) {
		const bytes =
			typeof chunk === 'string'
				? Buffer.from(chunk, 'utf8')
				: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
		let start = 0;
		for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
			yield finish(bytes.subarray(start, end));
			start = end + 1;
			if (performance.now() - sliceStart > SLICE_MS) {
				await yieldToOthers();
				sliceStart = performance.now();
			}
		}
		const rest = bytes.subarray(start);
		if (tooLong || pendingBytes + rest.length > maxBytes) {
			// The line is refused already: keep none of it.
			tooLong = true;
			pending = [];
			pendingBytes = 0;
		} else if (rest.length > 0) {
			// A copy, so the chunk it came from can be freed.
			pending.push(Buffer.from(rest));
			pendingBytes += rest.length;
		}
	}
	if (pendingBytes > 0 || tooLong) yield finish(Buffer.alloc(0));
}

function formatBytes(bytes: number): string {
	if (bytes % 1_048_576 === 0) return `${bytes / 1_048_576} MB`;
	if (bytes >= 1_048_576) return `${(bytes / 1_048_576).toFixed(1)} MB`;
	return `${Math.round(bytes / 1024)} kB`;
}

type Parsed = { rows: ImportRow[]; errors: LineError[]; rowsRead: number };

async function parseJsonl(source: ImportSource, rules: RowRules): Promise<Parsed> {
	const parsed: Parsed = { rows: [], errors: [], rowsRead: 0 };
	const refused: LineError[] = [];
	for await (const { line, text: rawText } of checkedLines(source, maxLineBytes(rules), refused)) {
		if (rawText === null) continue;
		const text = rawText.trim();
		if (text === '') continue;
		parsed.rowsRead += 1;
		let value: unknown;
		try {
			value = JSON.parse(text);
		} catch (e) {
			parsed.errors.push({ line, message: `invalid JSON: ${(e as Error).message}` });
			continue;
		}
		if (rules.inputKind === 'conversation') {
			const result = conversationRows(value, line, rules);
			if ('error' in result) parsed.errors.push(result.error);
			else parsed.rows.push(...result.rows);
			continue;
		}
		const result = normalizeRow(value, line, rules);
		if ('error' in result) parsed.errors.push(result.error);
		else parsed.rows.push(result.row);
	}
	// Lines refused before they could be parsed still count as read.
	parsed.rowsRead += refused.length;
	parsed.errors.push(...refused);
	return parsed;
}

const CSV_COLUMNS = ['input', 'output', 'tags', 'id'];

/**
 * The upload's checked lines joined again with plain line breaks, so a break inside a quoted
 * cell counts as one line and line numbers stay right. A refused line stays as an empty one.
 */
async function* csvText(
	source: ImportSource,
	maxBytes: number,
	refused: LineError[]
): AsyncGenerator<string> {
	let text = '';
	for await (const { text: line } of checkedLines(source, maxBytes, refused)) {
		text += (line ?? '') + '\n';
		if (text.length >= 65_536) {
			yield text;
			text = '';
		}
	}
	if (text) yield text;
}

function csvProblem(err: CsvError): string {
	const counts = /columns length is (\d+), got (\d+)/.exec(err.message);
	if (counts) return `expected ${counts[1]} columns as in the header, found ${counts[2]}`;
	return err.message.replace(/^Invalid (Record|Opening Quote|Closing Quote)[^:]*: /, '');
}

async function parseCsvRows(source: ImportSource, rules: RowRules): Promise<Parsed> {
	const parsed: Parsed = { rows: [], errors: [], rowsRead: 0 };
	const refused: LineError[] = [];
	let headerProblem: string | null = null;
	const parser = parseCsv({
		bom: true,
		max_record_size: maxLineBytes(rules),
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
	const records = Readable.from(csvText(source, maxLineBytes(rules), refused)).pipe(parser);
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
	if (headerProblem) {
		const firstLine = refused.find((e) => e.line === 1) ?? { line: 1, message: headerProblem };
		return { rows: [], errors: [firstLine], rowsRead: 0 };
	}
	// Lines refused before they could be parsed still count as read.
	parsed.rowsRead += refused.length;
	parsed.errors.push(...refused);
	return parsed;
}

export async function parseImport(
	source: ImportSource,
	format: ImportFormat,
	rules: RowRules
): Promise<Parsed> {
	if (format === 'csv' && rules.inputKind === 'conversation') {
		return {
			rows: [],
			errors: [
				{
					line: 1,
					message:
						'this project takes conversations, which come as JSONL: one thread per line (OpenAI chat, Hugging Face “messages” or ShareGPT “conversations”)'
				}
			],
			rowsRead: 0
		};
	}
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

/** Staged rows are put in the queue this many at a time. */
const QUEUE_CHUNK = 500;

type BatchMeta = {
	userId: string | null;
	filename: string;
	format: ImportFormat;
	rowsRead: number;
};

/**
 * Prepares the statements that write one checked row as an example with its first revision
 * and tags, and returns the function that writes a row (false when its dedupe key is already
 * in the project). It runs inside the caller's transaction.
 */
function rowWriter(db: Db, target: Project, userId: string | null, queue: 'now' | 'on publish') {
	return db.prepareWrites((w) => {
		const knownSplit = preparedKnownSplit(w);
		const insertExample = w
			.insert(example)
			.values({
				projectId: sql.placeholder('projectId'),
				externalId: sql.placeholder('externalId'),
				dedupeKey: sql.placeholder('dedupeKey'),
				input: sql.placeholder('input'),
				inputHash: sql.placeholder('inputHash'),
				conversationKey: sql.placeholder('conversationKey'),
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
		const insertRevision = w
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
		const setCurrent = w
			.update(example)
			.set({ currentRevisionId: sql<number>`${sql.placeholder('revisionId')}` })
			.where(eq(example.id, sql.placeholder('exampleId')))
			.prepare();
		const insertTag = w
			.insert(exampleTag)
			.values({ exampleId: sql.placeholder('exampleId'), tag: sql.placeholder('tag') })
			.onConflictDoNothing()
			.prepare();
		const hasOutputSchema = target.outputKind !== 'text' && !!target.outputSchema;
		const priorityTag = priorityTagOf(target.queuePriority);

		return async (row: ImportRow, batchId: number, at: Date): Promise<boolean> => {
			const inputHash = hashText(row.input);
			const conversationKey = row.conversationKey ?? null;
			// Every turn of a conversation keeps the split its first turn was given (rule 4).
			const split =
				(await knownSplit({ projectId: target.id, inputHash, conversationKey })) ??
				splitForInputHash(conversationKey ?? inputHash, target);
			const created = (
				await insertExample.execute({
					projectId: target.id,
					externalId: row.externalId,
					dedupeKey: dedupeKey(row),
					input: row.input,
					inputHash,
					conversationKey,
					split,
					importId: batchId,
					claimable: queue === 'now' && row.output !== null,
					priority: priorityTag !== null && row.tags.includes(priorityTag) ? 1 : 0,
					randomKey: randomKey(),
					at
				})
			)[0];
			if (!created) return false;
			const rev = (
				await insertRevision.execute({
					exampleId: created.id,
					output: row.output,
					userId,
					schemaValid: hasOutputSchema && row.output !== null ? 1 : null,
					at
				})
			)[0]!;
			await setCurrent.execute({ revisionId: rev.id, exampleId: created.id });
			for (const tag of row.tags) await insertTag.execute({ exampleId: created.id, tag });
			return true;
		};
	});
}

/**
 * The time as the import sees it: `now` when it began, moving on with the real clock, so a
 * heartbeat written after a long upload is as late as the upload was.
 */
function clockFrom(now: Date): () => Date {
	const startedAt = performance.now();
	return () => new Date(now.getTime() + (performance.now() - startedAt));
}

async function createBatch(
	tx: Tx,
	target: Project,
	meta: BatchMeta,
	state: ImportState,
	now: Date,
	stagedAt: Date | null = null
) {
	return (
		await tx
			.insert(importBatch)
			.values({
				projectId: target.id,
				userId: meta.userId,
				filename: meta.filename,
				format: meta.format,
				rowsRead: meta.rowsRead,
				rowsImported: 0,
				state,
				stagedAt,
				createdAt: now
			})
			.returning({ id: importBatch.id })
	)[0].id;
}

/** The one step that makes a batch's rows visible to every reader. */
async function finishBatch(tx: Tx, target: Project, batchId: number, imported: number, now: Date) {
	await tx
		.update(importBatch)
		.set({ rowsImported: imported, state: 'done', stagedAt: null })
		.where(eq(importBatch.id, batchId));
	await tx.update(project).set({ updatedAt: now }).where(eq(project.id, target.id));
}

/**
 * Writes checked rows in one transaction, for seeding and small batches. Rows whose dedupe
 * key is already in the project are skipped, so importing the same file again adds nothing.
 * An upload goes through `stageRows`, which keeps every transaction short.
 */
export async function insertRows(
	db: Db,
	target: Project,
	rows: ImportRow[],
	meta: BatchMeta,
	now = new Date()
): Promise<{ batchId: number; imported: number; skipped: number }> {
	const write = rowWriter(db, target, meta.userId, 'now');
	const done = await db.transaction(async (tx) => {
		const batchId = await createBatch(tx, target, meta, 'done', now);
		let imported = 0;
		for (const row of rows) if (await write(row, batchId, now)) imported += 1;
		await finishBatch(tx, target, batchId, imported, now);
		return { batchId, imported, skipped: rows.length - imported };
	});
	await db.refreshStatistics(done.imported);
	return done;
}

/**
 * Writes checked rows all or nothing without holding the database: a batch in state
 * 'staging' takes them in transactions of about SLICE_MS each, other requests run between
 * them, and one short transaction makes the batch visible. Rows whose dedupe key is already
 * in the project are skipped; when that is every row, nothing is recorded at all.
 */
export async function stageRows(
	db: Db,
	target: Project,
	rows: ImportRow[],
	meta: BatchMeta,
	now = new Date(),
	clock = clockFrom(now)
): Promise<{ batchId: number | null; imported: number; skipped: number } | { busy: string }> {
	// Staged rows stay out of the queue's indexes (claimable false) while they are written, so
	// that a claim never has to step over them; they join the queue just before the batch is
	// made visible.
	const write = rowWriter(db, target, meta.userId, 'on publish');
	// One import is staged in a project at a time: a second one would skip the first one's rows
	// as already there, and lose them if the first then failed.
	const batchId = await db.transaction(async (tx) => {
		const staging = (
			await tx
				.select({ id: importBatch.id })
				.from(importBatch)
				.where(and(eq(importBatch.projectId, target.id), eq(importBatch.state, 'staging')))
				.limit(1)
		)[0];
		return staging ? null : await createBatch(tx, target, meta, 'staging', now, clock());
	});
	if (batchId === null) return { busy: IMPORT_IN_PROGRESS };
	let imported = 0;
	let next = 0;
	try {
		while (next < rows.length) {
			const sliceStart = performance.now();
			await db.transaction(async (tx) => {
				do {
					if (await write(rows[next], batchId, now)) imported += 1;
					next += 1;
				} while (next < rows.length && performance.now() - sliceStart < SLICE_MS);
				// A heartbeat: a batch whose importer stops writing is taken for abandoned.
				await tx.update(importBatch).set({ stagedAt: clock() }).where(eq(importBatch.id, batchId));
			});
			await yieldToOthers();
		}
	} catch (e) {
		await discardStagedBatch(db, batchId);
		throw e;
	}
	if (imported === 0) {
		await discardStagedBatch(db, batchId);
		return { batchId: null, imported: 0, skipped: rows.length };
	}
	try {
		await queueStagedRows(db, batchId);
		await db.transaction(async (tx) => finishBatch(tx, target, batchId, imported, now));
	} catch (e) {
		await discardStagedBatch(db, batchId);
		throw e;
	}
	await db.refreshStatistics(imported);
	return { batchId, imported, skipped: rows.length - imported };
}

/** Staged rows with an output are put in the queue, a slice at a time, before the batch is published. */
async function queueStagedRows(db: Db, batchId: number): Promise<void> {
	const next = db.prepareWrites((w) =>
		w
			.select({ id: example.id, output: revision.output })
			.from(example)
			.innerJoin(revision, eq(revision.id, example.currentRevisionId))
			.where(and(eq(example.importId, batchId), gt(example.id, sql.placeholder('after'))))
			.orderBy(asc(example.id))
			.limit(QUEUE_CHUNK)
			.prepare()
	);
	let after = 0;
	await inSlices(
		async () =>
			await db.transaction(async (tx) => {
				const rows = await next.execute({ after });
				if (rows.length === 0) return 0;
				after = rows[rows.length - 1].id;
				const waiting = rows.filter((r) => r.output !== null).map((r) => r.id);
				if (waiting.length > 0) {
					await tx.update(example).set({ claimable: true }).where(inArray(example.id, waiting));
				}
				return rows.length;
			})
	);
}

/**
 * Imports a file all or nothing: a file with any bad line is answered with every bad line
 * and nothing is written. Long files never hold the database for long (see `stageRows`).
 */
export async function importExamples(
	db: Db,
	target: Project,
	input: {
		source: ImportSource;
		format: ImportFormat;
		filename: string;
		userId: string | null;
		maxFieldBytes?: number;
	},
	now = new Date()
): Promise<ImportResult> {
	// Started before the upload is read: its heartbeats must not lag by the upload's time.
	const clock = clockFrom(now);
	const parsed = await parseImport(
		input.source,
		input.format,
		rowRules(target, input.maxFieldBytes)
	);
	if (parsed.errors.length > 0) {
		return { ok: false, rowsRead: parsed.rowsRead, errors: parsed.errors };
	}
	if (parsed.rows.length === 0) {
		return { ok: false, rowsRead: 0, errors: [{ line: 1, message: 'the file has no rows' }] };
	}
	await discardAbandonedImports(db, new Date(clock().getTime() - STAGING_ABANDONED_AFTER_MS));
	const written = await stageRows(
		db,
		target,
		parsed.rows,
		{
			userId: input.userId,
			filename: input.filename,
			format: input.format,
			rowsRead: parsed.rowsRead
		},
		now,
		clock
	);
	if ('busy' in written)
		return { ok: false, rowsRead: parsed.rowsRead, errors: [], busy: written.busy };
	return { ok: true, rowsRead: parsed.rowsRead, ...written };
}
