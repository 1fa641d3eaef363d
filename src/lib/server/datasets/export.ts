import { stringify } from 'csv-stringify/sync';
import { encode } from 'gpt-tokenizer';
import { and, count, eq, sql } from 'drizzle-orm';
import type { Db, Queryable } from '../db';
import { datasetItem, project, revision, type Dataset, type Split } from '../db/schema';
import {
	EXPORT_FORMATS,
	TOKEN_LIMIT,
	type ExportFormat,
	type FormatProblems
} from '../../schemas/dataset';
import { datasetRows } from '.';
import { preferenceCounts, undesirableOf, worseOutputs } from './preferences';
import { studentSystemPrompt, type Task } from '../jobs/prompt';
import { messageText, toolCallProblems, type Message, type Thread } from '../../conversations';
import { labelsAnswer, readLabels, type LabelSet } from '../../schemas/labels';
import {
	THREAD_FORMATS,
	threadLine,
	threadPreferenceLine,
	threadWeigher,
	type ThreadFormat
} from './threads';

// Dataset files, one split at a time, built line by line from pages of rows so a million
// examples never sit in memory at once.

export type ExportOptions = { format: ExportFormat; split: Split; reasoning: boolean };

export const SPLITS: Split[] = ['train', 'val', 'test'];

type Row = {
	exampleId: number;
	conversationKey?: string | null;
	revisionId: number;
	split: Split;
	input: string;
	output: string | null;
	reasoning: string | null;
	parentRevisionId: number | null;
	authorKind: 'import' | 'model' | 'user';
};

type Answer = { output: string | null; reasoning: string | null };

/**
 * A file with reasoning takes only the examples whose current revision has the teacher's
 * reasoning, so every answer in it thinks first; the others are left out and counted.
 */
const hasReasoning = (answer: Answer) => !!answer.reasoning;

/**
 * The assistant's text. Reasoning goes in a <think> block before the output, which evaluation
 * (parseOutput) takes off, so what is scored is the output exactly: for a JSON project, the
 * JSON its schema checks. A closing tag inside the reasoning would end the block early at
 * evaluation and leave the rest in front of the output, so it is written escaped.
 */
function answer({ output, reasoning }: Answer, withReasoning: boolean): string {
	if (!withReasoning || !reasoning) return output ?? '';
	const thought = reasoning.replace(/<\/think>/gi, '<\\/think>');
	return `<think>\n${thought}\n</think>\n\n${output ?? ''}`;
}

function chat(system: string, input: string, assistant: string) {
	return [
		...(system ? [{ role: 'system', content: system }] : []),
		{ role: 'user', content: input },
		{ role: 'assistant', content: assistant }
	];
}

/**
 * One JSONL line: every JSONL file is written through here. JSON.stringify leaves U+2028 and
 * U+2029 raw (JavaScript line readers split on them) and U+0085 (Python's splitlines does), so
 * they are escaped, and a line reader never cuts a record in two.
 */
export function jsonLine(value: unknown): string {
	return JSON.stringify(value).replace(
		/[\u0085\u2028\u2029]/g,
		(c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
	);
}

/**
 * CSV cells a spreadsheet would run as a formula start with one of OWASP's characters (=, +, -,
 * @, tab, carriage return) or the full-width ＝ ＋ － ＠ that Apple Numbers reads alike: such a
 * cell gets a single quote before it and is quoted, as OWASP advises. A cell that already starts
 * with a quote gets one too, so a reader undoes it exactly by dropping the first quote of every
 * cell that starts with one. Every other cell parses back to the stored text byte for byte.
 */
const NEUTRALISED = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20']/;

const CSV_OPTIONS = {
	eof: false,
	cast: { string: (text: string) => (NEUTRALISED.test(text) ? `'${text}` : text) },
	quoted_match: /^'/
};

const csvRecord = (cells: (string | number)[]) => stringify([cells], CSV_OPTIONS);

/** The CSV's first line; a file with reasoning has it in a column of its own. */
export const csvHeader = (reasoning: boolean) =>
	`example_id,revision_id,split,input,output${reasoning ? ',reasoning' : ''}`;

export const CSV_HEADER = csvHeader(false);

/** One line of the file for one row, without its newline. */
export function lineFor(
	format: Exclude<ExportFormat, PreferenceFormat>,
	system: string,
	row: Row,
	reasoning: boolean
): string {
	if (format === 'csv') {
		return csvRecord([
			row.exampleId,
			row.revisionId,
			row.split,
			row.input,
			row.output ?? '',
			...(reasoning ? [row.reasoning ?? ''] : [])
		]);
	}
	const output = answer(row, reasoning);
	switch (format) {
		case 'openai':
		case 'hf_messages':
			return jsonLine({ messages: chat(system, row.input, output) });
		case 'alpaca':
			// The system prompt in "system", where LLaMA-Factory and Axolotl's alpaca_w_system read it.
			return jsonLine({
				instruction: row.input,
				input: '',
				output,
				...(system ? { system } : {})
			});
		case 'sharegpt':
			return jsonLine({
				conversations: [
					...(system ? [{ from: 'system', value: system }] : []),
					{ from: 'human', value: row.input },
					{ from: 'gpt', value: output }
				]
			});
	}
}

/** Formats made of preference pairs rather than of examples alone. */
export const PREFERENCE_FORMATS = new Set<ExportFormat>([
	'openai_dpo',
	'trl_preference',
	'trl_kto'
]);
type PreferenceFormat = 'openai_dpo' | 'trl_preference' | 'trl_kto';

/**
 * A DPO line (OpenAI's shape, which Together and Fireworks take as it is), or TRL's
 * conversational preference line: the dataset's output preferred over a worse one.
 */
export function preferenceLine(
	system: string,
	row: Row,
	rejected: Answer,
	reasoning: boolean,
	format: 'openai_dpo' | 'trl_preference' = 'openai_dpo'
) {
	const prompt = chat(system, row.input, '').slice(0, -1);
	const chosen = [{ role: 'assistant', content: answer(row, reasoning) }];
	const worse = [{ role: 'assistant', content: answer(rejected, reasoning) }];
	return jsonLine(
		format === 'trl_preference'
			? { prompt, chosen, rejected: worse }
			: { input: { messages: prompt }, preferred_output: chosen, non_preferred_output: worse }
	);
}

/** TRL's unpaired (KTO) line: an output with whether people found it desirable. */
export function unpairedLine(
	system: string,
	input: string,
	output: Answer,
	desirable: boolean,
	reasoning: boolean
) {
	return jsonLine({
		prompt: chat(system, input, '').slice(0, -1),
		completion: [{ role: 'assistant', content: answer(output, reasoning) }],
		label: desirable
	});
}

const extension = (format: ExportFormat) => (format === 'csv' ? 'csv' : 'jsonl');

export function exportFilename(datasetName: string, options: ExportOptions): string {
	const slug =
		datasetName
			.toLowerCase()
			.replace(/[^a-z0-9]+/g, '-')
			.replace(/^-|-$/g, '') || 'dataset';
	const reasoning = options.reasoning ? '-reasoning' : '';
	return `${slug}-${options.split}-${options.format}${reasoning}.${extension(options.format)}`;
}

/**
 * The file's text in chunks of up to a page of lines. Every line's system message is the one
 * the student will be evaluated with (`studentSystemPrompt`). The DPO file holds only the examples
 * whose current output is a person's repair of an earlier one: the earlier one is the
 * non-preferred output. With reasoning, only examples that have it are taken (`hasReasoning`).
 */
export async function* exportChunks(
	db: Db,
	target: Task,
	datasetId: number,
	options: ExportOptions
): AsyncGenerator<string> {
	const system = await studentSystemPrompt(db, target);
	if (options.format === 'csv') yield `${csvHeader(options.reasoning)}\n`;
	const worseOf = worseOutputs(db, datasetId);
	const preferences = PREFERENCE_FORMATS.has(options.format);
	const threads = target.outputKind === 'turn' ? threadWeigher(db, datasetId) : null;
	if (threads && !THREAD_FORMATS.has(options.format)) return;
	const answerOf = db
		.select({ output: revision.output, reasoning: revision.reasoning })
		.from(revision)
		.where(eq(revision.id, sql.placeholder('id')))
		.prepare();
	// A label project's files give the labels by name, as the assistant's answer.
	const labelSet =
		target.outputKind === 'labels' && target.labelSet
			? (JSON.parse(target.labelSet) as LabelSet)
			: null;
	const labels = labelSet !== null;
	// An output that is no choice from the set (a model's, kept for repair) is written as it came.
	const named = (answer: { output: string | null }) => {
		const names = labelSet && answer.output !== null ? readLabels(labelSet, answer.output) : null;
		return names ? labelsAnswer(names) : answer.output;
	};
	const undesirable = new Set<number>();
	for await (const page of datasetRows(db, datasetId)()) {
		const rows = labels ? page.map((r) => ({ ...r, output: named(r) })) : page;
		const inSplit = rows.filter((r) => r.split === options.split);
		const pairs = preferences ? await worseOf(inSplit) : new Map<number, number[]>();
		const worse = options.format === 'trl_kto' ? await undesirableOf(db, datasetId, pairs) : pairs;
		let chunk = '';
		for (const row of rows) {
			if (row.split !== options.split) continue;
			if (options.reasoning && !hasReasoning(row)) continue;
			if (options.format === 'trl_kto') {
				chunk += unpairedLine(system, row.input, row, true, options.reasoning) + '\n';
				for (const id of worse.get(row.exampleId) ?? []) {
					// An output worse than several others is one undesirable line.
					if (undesirable.has(id)) continue;
					undesirable.add(id);
					const found = (await answerOf.execute({ id }))[0]!;
					const worse = { ...found, output: named(found) };
					chunk += unpairedLine(system, row.input, worse, false, options.reasoning) + '\n';
				}
			} else if (options.format === 'openai_dpo' || options.format === 'trl_preference') {
				for (const id of worse.get(row.exampleId) ?? []) {
					const found = (await answerOf.execute({ id }))[0]!;
					const rejected = { ...found, output: named(found) };
					chunk +=
						(threads
							? jsonLine(
									threadPreferenceLine(
										target.instruction,
										JSON.parse(row.input) as Thread,
										JSON.parse(row.output!) as Message,
										JSON.parse(rejected.output!) as Message
									)
								)
							: preferenceLine(system, row, rejected, options.reasoning, options.format)) + '\n';
				}
			} else if (threads && options.format !== 'csv') {
				const { context, turn } = await threads(row);
				chunk +=
					jsonLine(threadLine(options.format as ThreadFormat, target.instruction, context, turn)) +
					'\n';
			} else {
				chunk += lineFor(options.format, system, row, options.reasoning) + '\n';
			}
		}
		if (chunk) yield chunk;
	}
}

/** What each split's files would hold: its examples, those with reasoning, its preference pairs. */
export type SplitFiles = {
	/** True for a conversation project, whose threads fit some formats only. */
	threads: boolean;
	examples: number;
	withReasoning: number;
	pairs: number;
	pairsWithReasoning: number;
	/** Distinct outputs judged worse than one of the split's: a KTO file's undesirable lines. */
	worse: number;
	worseWithReasoning: number;
};

const HAS_REASONING = sql<number>`coalesce(${revision.reasoning}, '') <> ''`;

/**
 * The lines each split's files would have, per kind, counted before anything is written: the
 * dataset page shows them, the routes refuse an empty file and the zip's manifest records them.
 */
export async function exportFiles(
	db: Queryable,
	found: Dataset
): Promise<Record<Split, SplitFiles>> {
	const threads =
		(
			await db
				.select({ outputKind: project.outputKind })
				.from(project)
				.where(eq(project.id, found.projectId))
		)[0]?.outputKind === 'turn';
	const zero = {
		threads,
		withReasoning: 0,
		pairs: 0,
		pairsWithReasoning: 0,
		worse: 0,
		worseWithReasoning: 0
	};
	const files = {
		train: { ...zero, examples: found.trainCount },
		val: { ...zero, examples: found.valCount },
		test: { ...zero, examples: found.testCount }
	};
	const reasoned = await db
		.select({ split: datasetItem.split, n: count() })
		.from(datasetItem)
		.innerJoin(revision, eq(revision.id, datasetItem.revisionId))
		.where(and(eq(datasetItem.datasetId, found.id), HAS_REASONING))
		.groupBy(datasetItem.split);
	for (const { split, n } of reasoned) files[split].withReasoning = n;
	const preferences = await preferenceCounts(db, found.id);
	for (const split of SPLITS) Object.assign(files[split], preferences[split]);
	return files;
}

/** How many lines a file would have. */
export function linesIn(files: SplitFiles, options: Pick<ExportOptions, 'format' | 'reasoning'>) {
	if (files.threads && !THREAD_FORMATS.has(options.format)) return 0;
	if (options.format === 'openai_dpo' || options.format === 'trl_preference') {
		return options.reasoning ? files.pairsWithReasoning : files.pairs;
	}
	if (options.format === 'trl_kto') {
		return options.reasoning
			? files.withReasoning + files.worseWithReasoning
			: files.examples + files.worse;
	}
	return options.reasoning ? files.withReasoning : files.examples;
}

/** Why a file would be empty, in a sentence for the page and the 404; null when it has lines. */
export function emptyFileReason(
	files: Record<Split, SplitFiles>,
	options: ExportOptions
): string | null {
	const { split, format } = options;
	const { examples, pairs } = files[split];
	if (linesIn(files[split], options) > 0) return null;
	if (files[split].threads && !THREAD_FORMATS.has(format)) {
		return `${EXPORT_FORMATS[format]} holds one instruction and one answer; a conversation does not fit it. Choose OpenAI, Hugging Face or ShareGPT.`;
	}
	if (examples === 0) return `This dataset has no ${split} examples, so that file would be empty.`;
	const paired = format === 'openai_dpo' || format === 'trl_preference';
	if (paired && pairs === 0) {
		return `No ${split} example (of ${examples}) is a person’s repair of an earlier output or the better side of a settled comparison, so there is no preference pair for that file.`;
	}
	if (paired) {
		return `No ${split} preference pair (of ${pairs}) has reasoning on its preferred side (a person’s repair carries none), so a preference file with reasoning would be empty; download it without reasoning.`;
	}
	return `No ${split} example (of ${examples}) has the teacher’s reasoning, so a file with reasoning would be empty; download it without reasoning.`;
}

/** What a file with reasoning did with the examples that have none: the page and manifest say it. */
export function reasoningNote(files: Record<Split, SplitFiles>): string {
	const left = SPLITS.filter((s) => files[s].examples > 0).map(
		(s) => `${files[s].examples - files[s].withReasoning} of ${files[s].examples} ${s}`
	);
	return `Files with reasoning take only the examples that have the teacher’s reasoning, in a <think> block before the answer (in CSV, a column of its own); the others are left out (${left.join(', ')}).`;
}

/** The dataset page's files: per format, per split with examples, its lines or why it has none. */
export function downloadChoices(files: Record<Split, SplitFiles>, reasoning: boolean) {
	return (Object.keys(EXPORT_FORMATS) as ExportFormat[]).map((format) => ({
		format,
		label: EXPORT_FORMATS[format],
		splits: SPLITS.filter((split) => files[split].examples > 0).map((split) => ({
			split,
			lines: linesIn(files[split], { format, reasoning }),
			empty: emptyFileReason(files, { format, split, reasoning })
		}))
	}));
}

/** The file as a byte stream that builds a page of lines each time it is read. */
export async function exportStream(
	db: Db,
	target: Task,
	datasetId: number,
	options: ExportOptions
): Promise<ReadableStream<Uint8Array>> {
	const chunks = exportChunks(db, target, datasetId, options);
	const encoder = new TextEncoder();
	return new ReadableStream<Uint8Array>({
		async pull(controller) {
			const next = await chunks.next();
			if (next.done) controller.close();
			else controller.enqueue(encoder.encode(next.value));
		},
		async cancel() {
			await chunks.return(undefined);
		}
	});
}

// ---- Checks before a download or an upload (after OpenAI's data-preparation guide) ----

const ROLES = new Set(['system', 'user', 'assistant', 'function', 'tool']);
const MESSAGE_KEYS = new Set([
	'role',
	'content',
	'name',
	'function_call',
	'weight',
	'tool_calls',
	'tool_call_id'
]);

export type OpenAiCheck = {
	examples: number;
	problems: FormatProblems;
	/** The first few lines with a problem, with what it is. */
	samples: { line: number; problem: keyof FormatProblems }[];
	tokens: { total: number; longest: number; mean: number; overLimit: number };
	/** The file's size in bytes, newlines included. */
	bytes: number;
	/** How many examples are longer than each context length asked about, by that length. */
	overContext: Record<number, number>;
};

const PIECE = 1000;
const LONG_RUN = new RegExp(`\\S{${PIECE},}|\\s{${PIECE},}`, 'g');

/**
 * A text's tokens. Byte-pair encoding takes time quadratic in the length of one pre-token, and
 * a run of a million characters without a space (or of spaces) would hold the process for
 * minutes: such a run is counted in pieces of 1,000 characters, which moves the count by at
 * most a token a piece (measured: none, on runs of one letter).
 */
export function textTokens(text: string, encodeText: (text: string) => number[] = encode) {
	if (text.length < PIECE) return encodeText(text).length;
	let tokens = 0;
	const rest = text.replace(LONG_RUN, (run) => {
		for (let at = 0; at < run.length; at += PIECE) {
			tokens += encodeText(run.slice(at, at + PIECE)).length;
		}
		return '';
	});
	return tokens + encodeText(rest).length;
}

/**
 * The tokens a conversation takes, as OpenAI's cookbook ("How to count tokens with tiktoken")
 * and its data-preparation guide count them: each message's role, name and text, 3 tokens of
 * framing per message, 1 more per name, and 3 that prime the reply. o200k_base unless told.
 */
export function chatTokens(messages: unknown[], encodeText: (text: string) => number[] = encode) {
	let tokens = 3;
	for (const message of messages) {
		if (typeof message !== 'object' || message === null) continue;
		tokens += 3;
		for (const [key, value] of Object.entries(message)) {
			if (typeof value === 'string') tokens += textTokens(value, encodeText);
			if (key === 'tool_calls') tokens += textTokens(JSON.stringify(value), encodeText);
			if (key === 'content' && Array.isArray(value))
				tokens += textTokens(messageText(value), encodeText);
			if (key === 'name') tokens += 1;
		}
	}
	return tokens;
}

/** Counts each kind of format error in OpenAI chat lines, and the tokens they hold. */
export async function checkOpenAiLines(
	lines: Iterable<string> | AsyncIterable<string>,
	contexts: number[] = []
): Promise<OpenAiCheck> {
	const problems: FormatProblems = {
		data_type: 0,
		missing_messages_list: 0,
		message_missing_key: 0,
		message_unrecognized_key: 0,
		unrecognized_role: 0,
		missing_content: 0,
		example_missing_assistant_message: 0,
		tool_undefined: 0,
		tool_arguments_invalid: 0,
		tool_call_unanswered: 0
	};
	const samples: OpenAiCheck['samples'] = [];
	const tokens = { total: 0, longest: 0, mean: 0, overLimit: 0 };
	let examples = 0;
	let bytes = 0;
	const overContext = Object.fromEntries(contexts.map((c) => [c, 0]));
	const note = (line: number, problem: keyof FormatProblems) => {
		problems[problem] += 1;
		if (samples.length < 20) samples.push({ line, problem });
	};
	for await (const text of lines) {
		examples += 1;
		bytes += Buffer.byteLength(text) + 1;
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
			// Content parts (text, images) are a message's content too, as OpenAI takes them.
			const parts = Array.isArray(message.content) && message.content.length > 0;
			if (!parts && (typeof message.content !== 'string' || message.content === '')) {
				if (!message.function_call && !message.tool_calls) note(examples, 'missing_content');
			}
			if (message.role === 'assistant') assistant = true;
		}
		if (!assistant) note(examples, 'example_missing_assistant_message');
		const line = value as { messages: unknown[]; tools?: unknown };
		for (const problem of toolCallProblems(line)) note(examples, problem);
		const count = chatTokens(messages) + (line.tools ? textTokens(JSON.stringify(line.tools)) : 0);
		tokens.total += count;
		tokens.longest = Math.max(tokens.longest, count);
		if (count > TOKEN_LIMIT) tokens.overLimit += 1;
		for (const context of contexts) if (count > context) overContext[context] += 1;
	}
	tokens.mean = examples === 0 ? 0 : tokens.total / examples;
	return { examples, problems, samples, tokens, bytes, overContext };
}

/** A file's lines and bytes, newlines included, read once. */
export async function measureLines(
	lines: Iterable<string> | AsyncIterable<string>
): Promise<{ lines: number; bytes: number }> {
	let count = 0;
	let bytes = 0;
	for await (const line of lines) {
		count += 1;
		bytes += Buffer.byteLength(line) + 1;
	}
	return { lines: count, bytes };
}

/** Splits chunks of text back into lines, for the check. */
export async function* linesOf(
	chunks: Iterable<string> | AsyncIterable<string>
): AsyncGenerator<string> {
	for await (const chunk of chunks) {
		for (const line of chunk.split('\n')) if (line) yield line;
	}
}
