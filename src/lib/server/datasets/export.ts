import { stringify } from 'csv-stringify/sync';
import { encode } from 'gpt-tokenizer';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db';
import { revision, type Split } from '../db/schema';
import { TOKEN_LIMIT, type ExportFormat, type FormatProblems } from '../../schemas/dataset';
import { datasetRows } from '.';
import { studentSystemPrompt, type Task } from '../jobs/prompt';

// Dataset files, one split at a time, built line by line from pages of rows so a million
// examples never sit in memory at once.

export type ExportOptions = { format: ExportFormat; split: Split; reasoning: boolean };

type Row = {
	exampleId: number;
	revisionId: number;
	split: Split;
	input: string;
	output: string | null;
	reasoning: string | null;
	parentRevisionId: number | null;
	authorKind: 'import' | 'model' | 'user';
};

function answer(row: Row, reasoning: boolean): string {
	const output = row.output ?? '';
	return reasoning && row.reasoning ? `<think>\n${row.reasoning}\n</think>\n\n${output}` : output;
}

function chat(system: string, input: string, assistant: string) {
	return [
		...(system ? [{ role: 'system', content: system }] : []),
		{ role: 'user', content: input },
		{ role: 'assistant', content: assistant }
	];
}

/** One line of the file for one row, without its newline. */
export function lineFor(
	format: Exclude<ExportFormat, 'openai_dpo'>,
	system: string,
	row: Row,
	reasoning: boolean
): string {
	const output = answer(row, reasoning);
	switch (format) {
		case 'openai':
		case 'hf_messages':
			return JSON.stringify({ messages: chat(system, row.input, output) });
		case 'alpaca':
			return JSON.stringify({ instruction: system, input: row.input, output });
		case 'sharegpt':
			return JSON.stringify({
				conversations: [
					...(system ? [{ from: 'system', value: system }] : []),
					{ from: 'human', value: row.input },
					{ from: 'gpt', value: output }
				]
			});
		case 'csv':
			return stringify([[row.exampleId, row.revisionId, row.split, row.input, output]]).trimEnd();
	}
}

export const CSV_HEADER = 'example_id,revision_id,split,input,output';

/** A DPO line: the repaired (current) output preferred over the revision it repaired. */
export function preferenceLine(system: string, row: Row, rejected: string, reasoning: boolean) {
	return JSON.stringify({
		input: { messages: chat(system, row.input, '').slice(0, -1) },
		preferred_output: [{ role: 'assistant', content: answer(row, reasoning) }],
		non_preferred_output: [{ role: 'assistant', content: rejected }]
	});
}

const extension = (format: ExportFormat) => (format === 'csv' ? 'csv' : 'jsonl');

export function exportFilename(datasetName: string, options: ExportOptions): string {
	const slug =
		datasetName
			.toLowerCase()
			.replace(/[^a-z0-9]+/g, '-')
			.replace(/^-|-$/g, '') || 'dataset';
	return `${slug}-${options.split}-${options.format}.${extension(options.format)}`;
}

/**
 * The file's text in chunks of up to a page of lines. Every line's system message is the one
 * the student will be evaluated with (`studentSystemPrompt`). The DPO file holds only the examples
 * whose current output is a person's repair of an earlier one: the earlier one is the
 * non-preferred output.
 */
export function* exportChunks(
	db: Db,
	target: Task,
	datasetId: number,
	options: ExportOptions
): Generator<string> {
	const system = studentSystemPrompt(db, target);
	if (options.format === 'csv') yield `${CSV_HEADER}\n`;
	const parentOf = db
		.select({ output: revision.output, parentRevisionId: revision.parentRevisionId })
		.from(revision)
		.where(eq(revision.id, sql.placeholder('id')))
		.prepare();
	/** The nearest earlier output that differs: a re-queue copies a revision unchanged. */
	const rejectedFor = (row: Row): string | null => {
		for (let id = row.parentRevisionId; id !== null;) {
			const earlier = parentOf.get({ id });
			if (!earlier) return null;
			if (earlier.output !== null && earlier.output !== row.output) return earlier.output;
			id = earlier.parentRevisionId;
		}
		return null;
	};
	for (const rows of datasetRows(db, datasetId)()) {
		let chunk = '';
		for (const row of rows) {
			if (row.split !== options.split) continue;
			if (options.format === 'openai_dpo') {
				if (row.authorKind !== 'user') continue;
				const rejected = rejectedFor(row);
				if (rejected === null) continue;
				chunk += preferenceLine(system, row, rejected, options.reasoning) + '\n';
			} else {
				chunk += lineFor(options.format, system, row, options.reasoning) + '\n';
			}
		}
		if (chunk) yield chunk;
	}
}

/** The file as a byte stream that builds a page of lines each time it is read. */
export function exportStream(
	db: Db,
	target: Task,
	datasetId: number,
	options: ExportOptions
): ReadableStream<Uint8Array> {
	const chunks = exportChunks(db, target, datasetId, options);
	const encoder = new TextEncoder();
	return new ReadableStream<Uint8Array>({
		pull(controller) {
			const next = chunks.next();
			if (next.done) controller.close();
			else controller.enqueue(encoder.encode(next.value));
		},
		cancel() {
			chunks.return(undefined);
		}
	});
}

// ---- Checks before a download or an upload (after OpenAI's data-preparation guide) ----

const ROLES = new Set(['system', 'user', 'assistant', 'function', 'tool']);
const MESSAGE_KEYS = new Set(['role', 'content', 'name', 'function_call', 'weight', 'tool_calls']);

export type OpenAiCheck = {
	examples: number;
	problems: FormatProblems;
	/** The first few lines with a problem, with what it is. */
	samples: { line: number; problem: keyof FormatProblems }[];
	tokens: { total: number; longest: number; mean: number; overLimit: number };
};

/** Counts each kind of format error in OpenAI chat lines, and the tokens they hold. */
export function checkOpenAiLines(lines: Iterable<string>): OpenAiCheck {
	const problems: FormatProblems = {
		data_type: 0,
		missing_messages_list: 0,
		message_missing_key: 0,
		message_unrecognized_key: 0,
		unrecognized_role: 0,
		missing_content: 0,
		example_missing_assistant_message: 0
	};
	const samples: OpenAiCheck['samples'] = [];
	const tokens = { total: 0, longest: 0, mean: 0, overLimit: 0 };
	let examples = 0;
	const note = (line: number, problem: keyof FormatProblems) => {
		problems[problem] += 1;
		if (samples.length < 20) samples.push({ line, problem });
	};
	for (const text of lines) {
		examples += 1;
		let value: unknown;
		try {
			value = JSON.parse(text);
		} catch {
			note(examples, 'data_type');
			continue;
		}
		if (typeof value !== 'object' || value === null || Array.isArray(value)) {
			note(examples, 'data_type');
			continue;
		}
		const messages = (value as { messages?: unknown }).messages;
		if (!Array.isArray(messages) || messages.length === 0) {
			note(examples, 'missing_messages_list');
			continue;
		}
		let assistant = false;
		let count = 3;
		for (const message of messages as Record<string, unknown>[]) {
			if (
				typeof message !== 'object' ||
				message === null ||
				!('role' in message) ||
				!('content' in message)
			) {
				note(examples, 'message_missing_key');
				continue;
			}
			if (Object.keys(message).some((k) => !MESSAGE_KEYS.has(k)))
				note(examples, 'message_unrecognized_key');
			if (typeof message.role !== 'string' || !ROLES.has(message.role))
				note(examples, 'unrecognized_role');
			if (typeof message.content !== 'string' || message.content === '') {
				if (!message.function_call && !message.tool_calls) note(examples, 'missing_content');
			}
			if (message.role === 'assistant') assistant = true;
			// As OpenAI's guide counts: three tokens per message, plus its text.
			count += 3 + (typeof message.content === 'string' ? encode(message.content).length : 0);
		}
		if (!assistant) note(examples, 'example_missing_assistant_message');
		tokens.total += count;
		tokens.longest = Math.max(tokens.longest, count);
		if (count > TOKEN_LIMIT) tokens.overLimit += 1;
	}
	tokens.mean = examples === 0 ? 0 : tokens.total / examples;
	return { examples, problems, samples, tokens };
}

/** Splits chunks of text back into lines, for the check. */
export function* linesOf(chunks: Iterable<string>): Generator<string> {
	for (const chunk of chunks) {
		for (const line of chunk.split('\n')) if (line) yield line;
	}
}
