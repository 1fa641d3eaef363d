import type { ConversationTurns, InputKind, OutputKind } from '../db/schema';
import type { SchemaValidator } from '../../jsonSchema';
import { labelsOutput, readLabels, type LabelSet } from '../../schemas/labels';
import {
	readHuggingFaceThread,
	readOpenAiThread,
	readShareGptThread,
	turnsToReview,
	type Ending,
	type Thread,
	type ThreadRead
} from '../../conversations';
import { conversationKeyOf } from '../split';

export type ImportRow = {
	line: number;
	externalId: string | null;
	input: string;
	output: string | null;
	tags: string[];
	/** For a conversation, the hash of its opening: every turn of it keeps one split. */
	conversationKey?: string | null;
};

export type LineError = { line: number; message: string };

export type RowRules = {
	inputKind: InputKind;
	outputKind: OutputKind;
	/** Label projects only: the set their outputs are chosen from. */
	labelSet?: LabelSet;
	/** Conversation projects only; the final turn when not given. */
	conversationTurns?: ConversationTurns;
	inputValidator: SchemaValidator | null;
	outputValidator: SchemaValidator | null;
	/** The largest input or output accepted, in bytes of UTF-8. */
	maxFieldBytes: number;
};

/** 1 MB: a long document's text fits; a file that is one 50 MB field does not. */
export const DEFAULT_MAX_FIELD_BYTES = 1_048_576;

function tooLarge(field: 'input' | 'output', text: string, maxBytes: number): string | null {
	const bytes = Buffer.byteLength(text, 'utf8');
	if (bytes <= maxBytes) return null;
	const mb = (n: number) => `${(n / 1_048_576).toFixed(n % 1_048_576 === 0 ? 0 : 1)} MB`;
	return `"${field}" is ${mb(bytes)}; the limit is ${mb(maxBytes)} (WINNOW_MAX_FIELD_MB)`;
}

const MAX_TAG_LENGTH = 50;
const MAX_ID_LENGTH = 200;

type Raw = Record<string, unknown>;

function describe(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Turns a field into stored text by the project's kind. JSON content may arrive as a value
 * (JSONL) or as JSON text (CSV, or a string in JSONL); it is stored compact.
 */
function content(
	field: 'input' | 'output',
	value: unknown,
	kind: 'text' | 'json',
	validator: SchemaValidator | null
): { text: string } | { error: string } {
	if (kind === 'text') {
		if (typeof value !== 'string') {
			return { error: `"${field}" must be text, but it is ${describe(value)}` };
		}
		return { text: value };
	}
	let parsed = value;
	if (typeof value === 'string') {
		try {
			parsed = JSON.parse(value);
		} catch {
			return { error: `"${field}" must be JSON for this project, but it is not valid JSON` };
		}
	}
	if (validator) {
		const problem = validator(parsed);
		if (problem) return { error: `"${field}" fails the project's schema: ${problem}` };
	}
	return { text: JSON.stringify(parsed) };
}

/**
 * A label output: {"labels": […]}, a list of names, or the names as text (one, or several
 * separated by commas), each a label of the set; stored as {"labels": […]} in the set's order.
 */
function labelsContent(
	value: unknown,
	set: LabelSet | undefined
): { text: string } | { error: string } {
	const names = set
		? readLabels(set, typeof value === 'string' ? value : JSON.stringify(value))
		: null;
	if (names === null) {
		const known = set ? set.labels.map((l) => l.name).join(', ') : 'none';
		return {
			error: `"output" is not ${set?.multiple ? 'a choice of labels' : 'one label'} of this project's set (${known})`
		};
	}
	return { text: labelsOutput(names) };
}

function tagsOf(value: unknown): { tags: string[] } | { error: string } {
	if (value === undefined || value === null || value === '') return { tags: [] };
	const list =
		typeof value === 'string'
			? value.split(',')
			: Array.isArray(value) && value.every((t) => typeof t === 'string')
				? (value as string[])
				: null;
	if (!list) return { error: `"tags" must be a list of strings or comma-separated text` };
	const tags = [...new Set(list.map((t) => t.trim()).filter((t) => t !== ''))];
	const long = tags.find((t) => t.length > MAX_TAG_LENGTH);
	if (long)
		return { error: `tag "${long.slice(0, 20)}…" is longer than ${MAX_TAG_LENGTH} characters` };
	return { tags };
}

function idOf(value: unknown): { id: string | null } | { error: string } {
	if (value === undefined || value === null || value === '') return { id: null };
	if (typeof value !== 'string' && typeof value !== 'number') {
		return { error: `"id" must be text or a number, but it is ${describe(value)}` };
	}
	const id = String(value).trim();
	if (id.length > MAX_ID_LENGTH)
		return { error: `"id" is longer than ${MAX_ID_LENGTH} characters` };
	return { id: id || null };
}

function messageText(message: Raw): string | null {
	const body = message.content;
	if (typeof body === 'string') return body;
	if (Array.isArray(body)) {
		const parts = body
			.filter((p): p is Raw => typeof p === 'object' && p !== null && (p as Raw).type === 'text')
			.map((p) => String(p.text ?? ''));
		return parts.length ? parts.join('\n') : null;
	}
	return null;
}

/**
 * OpenAI chat format: the last user turn is the input; a final assistant turn is the output.
 */
function fromMessages(messages: unknown): { input: unknown; output: unknown } | { error: string } {
	if (!Array.isArray(messages) || messages.length === 0) {
		return { error: '"messages" must be a non-empty list' };
	}
	for (const [index, m] of messages.entries()) {
		if (typeof m !== 'object' || m === null || typeof (m as Raw).role !== 'string') {
			return { error: `messages[${index}] needs a "role"` };
		}
	}
	const list = messages as Raw[];
	const last = list[list.length - 1];
	const hasAnswer = last.role === 'assistant';
	const asked = (hasAnswer ? list.slice(0, -1) : list).findLast((m) => m.role === 'user');
	if (!asked) return { error: '"messages" has no user turn to use as the input' };
	const input = messageText(asked);
	if (input === null) return { error: 'the user turn has no text content' };
	if (!hasAnswer) return { input, output: undefined };
	const output = messageText(last);
	if (output === null) return { error: 'the last assistant turn has no text content' };
	return { input, output };
}

/** Checks one parsed record against the project's rules. */
export function normalizeRow(
	raw: unknown,
	line: number,
	rules: RowRules
): { row: ImportRow } | { error: LineError } {
	const fail = (message: string) => ({ error: { line, message } });
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
		return fail(`each line must be a JSON object, but this is ${describe(raw)}`);
	}
	const record = raw as Raw;
	let inputValue = record.input;
	let outputValue = record.output;
	if (inputValue === undefined && record.messages !== undefined) {
		const chat = fromMessages(record.messages);
		if ('error' in chat) return fail(chat.error);
		inputValue = chat.input;
		outputValue = chat.output;
	}
	if (inputValue === undefined || inputValue === null || inputValue === '') {
		return fail('missing "input" (or a "messages" list)');
	}
	const problems: string[] = [];
	if (rules.inputKind === 'conversation' || rules.outputKind === 'turn') {
		return fail('this project takes conversations: give each line as a thread');
	}
	const input = content('input', inputValue, rules.inputKind, rules.inputValidator);
	if ('error' in input) problems.push(input.error);
	else if (input.text.trim() === '') problems.push('"input" is empty');
	else {
		const large = tooLarge('input', input.text, rules.maxFieldBytes);
		if (large) problems.push(large);
	}
	let output: string | null = null;
	if (outputValue !== undefined && outputValue !== null && outputValue !== '') {
		const checked =
			rules.outputKind === 'labels'
				? labelsContent(outputValue, rules.labelSet)
				: content('output', outputValue, rules.outputKind, rules.outputValidator);
		if ('error' in checked) problems.push(checked.error);
		else output = checked.text;
		const large = output === null ? null : tooLarge('output', output, rules.maxFieldBytes);
		if (large) problems.push(large);
	}
	const tags = tagsOf(record.tags);
	if ('error' in tags) problems.push(tags.error);
	const id = idOf(record.id);
	if ('error' in id) problems.push(id.error);
	if (problems.length > 0 || 'error' in input || 'error' in tags || 'error' in id) {
		return fail(problems.join('; '));
	}
	return {
		row: {
			line,
			externalId: id.id,
			input: input.text,
			output,
			tags: tags.tags
		}
	};
}

const isObject = (value: unknown): value is Raw =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

/** Hugging Face lines differ from OpenAI's in tool calls and tools written more loosely. */
function looksLikeHuggingFace(record: Raw): boolean {
	const messages = Array.isArray(record.messages) ? record.messages : [];
	const looseCall = messages.some(
		(m) =>
			isObject(m) &&
			Array.isArray(m.tool_calls) &&
			m.tool_calls.some(
				(c) =>
					!isObject(c) ||
					c.id === undefined ||
					c.type === undefined ||
					!isObject(c.function) ||
					typeof c.function.arguments !== 'string'
			)
	);
	const looseTool =
		Array.isArray(record.tools) && record.tools.some((t) => isObject(t) && t.type === undefined);
	return looseCall || looseTool;
}

/** Reads a thread in whichever of the three shapes the line is written in. */
export function readThread(record: Raw, ends: Ending = 'either'): ThreadRead {
	if (record.conversations !== undefined) return readShareGptThread(record, ends);
	if (looksLikeHuggingFace(record)) return readHuggingFaceThread(record, ends);
	return readOpenAiThread(record, ends);
}

/**
 * One line of a conversation project's file: a thread in OpenAI's chat format, Hugging Face's
 * `messages` or ShareGPT's `conversations`, checked whole, giving one example for its final
 * assistant turn or one for each (the project's choice). The input is the thread before the
 * turn with the thread's tools and settings; the output is the turn, as the file gave it.
 */
export function conversationRows(
	raw: unknown,
	line: number,
	rules: RowRules
): { rows: ImportRow[] } | { error: LineError } {
	const fail = (message: string) => ({ error: { line, message } });
	if (!isObject(raw)) return fail(`each line must be a JSON object, but this is ${describe(raw)}`);
	const { id: rawId, tags: rawTags, ...record } = raw;
	const read = readThread(record);
	if (!read.ok) return fail(read.reason);
	const tags = tagsOf(rawTags);
	if ('error' in tags) return fail(tags.error);
	const id = idOf(rawId);
	if ('error' in id) return fail(id.error);
	const { messages: _messages, ...settings } = read.thread;
	void _messages;
	const conversationKey = conversationKeyOf(read.thread);
	const each = rules.conversationTurns === 'each';
	const rows: ImportRow[] = [];
	for (const [k, turn] of turnsToReview(read.thread, each).entries()) {
		const context: Thread = { ...settings, messages: turn.before };
		const input = JSON.stringify(context);
		const output = turn.turn === null ? null : JSON.stringify(turn.turn);
		const large =
			tooLarge('input', input, rules.maxFieldBytes) ??
			(output === null ? null : tooLarge('output', output, rules.maxFieldBytes));
		if (large) return fail(each ? `assistant turn ${k + 1}: ${large}` : large);
		rows.push({
			line,
			externalId: id.id === null ? null : each ? `${id.id}#${k + 1}` : id.id,
			input,
			output,
			tags: tags.tags,
			conversationKey
		});
	}
	return { rows };
}
