import { and, asc, desc, eq } from 'drizzle-orm';
import type {
	ChatCompletion,
	ChatCompletionCreateParamsNonStreaming,
	ChatCompletionMessageParam
} from 'openai/resources/chat/completions';
import type { Db } from '../db';
import { example, revision, type Model, type Project } from '../db/schema';
import { listRequirements } from '../projects';
import { compileValidator } from '../../jsonSchema';
import { labelsOutput, readLabels, type LabelSet } from '../../schemas/labels';
import { isJsonOutput } from '../../schemas/project';
import {
	readTurn,
	threadOf,
	turnOf,
	turnRequest as threadRequest,
	type Thread
} from '../../conversations';

// The teacher's prompt, built from the project: its instruction and requirements as the
// system message, optional few-shot pairs from the best accepted training examples, the input
// last. JSON projects ask for structured output; with reasoning on, the model thinks first and
// its reasoning is kept apart from the output.

export type PromptOptions = { fewShot: number; reasoning: boolean };

export type Task = Pick<Project, 'id' | 'instruction' | 'outputKind' | 'outputSchema' | 'labelSet'>;

export type Prompt = {
	/** An answer to each input, or input/output pairs proposed from each passage of a document. */
	mode: 'answer' | 'pairs';
	system: string;
	examples: { input: string; output: string }[];
	responseFormat: ChatCompletionCreateParamsNonStreaming['response_format'];
	/** True when the reasoning travels in a JSON wrapper rather than in tags. */
	wrapped: boolean;
	reasoning: boolean;
	outputKind: Project['outputKind'];
	validate: ((value: unknown) => string | null) | null;
	/** A label project's set: an answer naming its labels is read as a choice of them. */
	labels?: LabelSet;
	pairsPerPassage?: number;
};

const REASONING_TAGS =
	'Think the task through first, inside <reasoning>…</reasoning>, then write only the final output after the closing tag.';

export function buildSystemPrompt(
	task: Task,
	requirements: { name: string; description: string }[],
	{ reasoning }: Pick<PromptOptions, 'reasoning'>
): string {
	const parts = [task.instruction.trim() || 'Complete the task for the input you are given.'];
	if (requirements.length > 0) {
		parts.push(
			'The output must meet these requirements:\n' +
				requirements
					.map((r) => `- ${r.name}${r.description ? `: ${r.description}` : ''}`)
					.join('\n')
		);
	}
	// The same words for the teacher, whose request also holds it to the set's JSON schema, and
	// for the student, whose training files give the labels by name.
	if (task.outputKind === 'labels' && task.labelSet) {
		const set = JSON.parse(task.labelSet) as LabelSet;
		parts.push(
			`${set.multiple ? 'Choose every label that applies' : 'Choose the one label that fits'}, from:\n` +
				set.labels
					.map(
						(l) =>
							`- ${l.group ? `${l.group} › ` : ''}${l.name}${l.description ? `: ${l.description}` : ''}`
					)
					.join('\n') +
				(set.multiple
					? '\nAnswer with their names, separated by commas.'
					: "\nAnswer with the label's name.")
		);
	} else if (task.outputKind === 'json') {
		parts.push(
			task.outputSchema
				? 'Answer with one JSON value that fits the given schema.'
				: 'Answer with one JSON value.'
		);
	}
	if (reasoning) {
		parts.push(
			isJsonOutput(task.outputKind)
				? 'Think the task through first: put your reasoning in "reasoning" and the answer in "output".'
				: REASONING_TAGS
		);
	}
	return parts.join('\n\n');
}

/**
 * The system message a student is trained on and evaluated with: the instruction and the
 * requirements, as a job without reasoning sends them. Training files carry this rather than the
 * bare instruction, so that a student is asked at evaluation exactly what it learnt to answer.
 */
export async function studentSystemPrompt(db: Db, task: Task): Promise<string> {
	return buildSystemPrompt(task, await listRequirements(db, task.id), { reasoning: false });
}

/** The best accepted training examples, highest final rating first: never val or test. */
export async function fewShotExamples(db: Db, projectId: number, limit: number) {
	if (limit <= 0) return [];
	return (
		await db
			.select({ input: example.input, output: revision.output })
			.from(example)
			.innerJoin(revision, eq(revision.id, example.currentRevisionId))
			.where(
				and(
					eq(example.projectId, projectId),
					eq(example.status, 'accepted'),
					eq(example.split, 'train'),
					eq(example.isGold, false)
				)
			)
			.orderBy(desc(example.finalRating), asc(example.id))
			.limit(limit)
	).flatMap((r) => (r.output === null ? [] : [{ input: r.input, output: r.output }]));
}

export async function buildPrompt(db: Db, task: Task, options: PromptOptions): Promise<Prompt> {
	if (task.outputKind === 'turn') {
		// The thread is the prompt: the instruction is its system message only where it has none.
		return {
			mode: 'answer',
			system: task.instruction.trim(),
			examples: [],
			responseFormat: undefined,
			wrapped: false,
			reasoning: false,
			outputKind: 'turn',
			validate: null
		};
	}
	const system = buildSystemPrompt(task, await listRequirements(db, task.id), options);
	const schema = task.outputSchema
		? (JSON.parse(task.outputSchema) as Record<string, unknown>)
		: null;
	const json = isJsonOutput(task.outputKind);
	const wrapped = json && options.reasoning;
	const outputSchema = schema ?? {};
	let responseFormat: Prompt['responseFormat'];
	if (wrapped) {
		responseFormat = {
			type: 'json_schema',
			json_schema: {
				name: 'answer_with_reasoning',
				schema: {
					type: 'object',
					properties: { reasoning: { type: 'string' }, output: outputSchema },
					required: ['reasoning', 'output']
				}
			}
		};
	} else if (json && schema) {
		responseFormat = { type: 'json_schema', json_schema: { name: 'answer', schema } };
	} else if (json) {
		responseFormat = { type: 'json_object' };
	}
	return {
		mode: 'answer',
		system,
		examples: await fewShotExamples(db, task.id, options.fewShot),
		responseFormat,
		wrapped,
		reasoning: options.reasoning,
		outputKind: task.outputKind,
		validate: compileValidator(task.outputSchema),
		labels: task.labelSet ? (JSON.parse(task.labelSet) as LabelSet) : undefined
	};
}

export function messagesFor(prompt: Prompt, input: string) {
	return [
		{ role: 'system' as const, content: prompt.system },
		...prompt.examples.flatMap((e) => [
			{ role: 'user' as const, content: e.input },
			{
				role: 'assistant' as const,
				content: prompt.wrapped
					? JSON.stringify({ reasoning: '', output: JSON.parse(e.output) })
					: e.output
			}
		]),
		{ role: 'user' as const, content: input }
	];
}

/** A thread's request: its messages and tools, in the client's types. */
function turnRequest(input: string, instruction: string) {
	const { messages, ...tools } = threadRequest(JSON.parse(input) as Thread, instruction);
	return {
		messages: messages as unknown as ChatCompletionMessageParam[],
		...(tools as Pick<
			ChatCompletionCreateParamsNonStreaming,
			'tools' | 'tool_choice' | 'parallel_tool_calls'
		>)
	};
}

export type Sampling = {
	/** Left to the model's default when null. */
	temperature: number | null;
	maxTokens: number | null;
};

/** The chat request that asks a model for its answer to one input under the prompt. */
export function completionRequest(
	prompt: Prompt,
	modelName: string,
	input: string,
	{ temperature, maxTokens }: Sampling
): ChatCompletionCreateParamsNonStreaming {
	return {
		model: modelName,
		...(prompt.outputKind === 'turn' && prompt.mode === 'answer'
			? turnRequest(input, prompt.system)
			: { messages: messagesFor(prompt, input) }),
		...(temperature !== null ? { temperature } : {}),
		...(maxTokens ? { max_tokens: maxTokens } : {}),
		...(prompt.responseFormat ? { response_format: prompt.responseFormat } : {})
	};
}

/**
 * The answer's text, and the reasoning some providers send beside it rather than in it
 * (`reasoning_content` from DeepSeek and vLLM, `reasoning` from OpenRouter).
 */
export function answerOf(completion: ChatCompletion): {
	content: string;
	sideReasoning: string | null;
} {
	const message = completion.choices[0]?.message;
	const side = (message as { reasoning_content?: unknown; reasoning?: unknown } | undefined) ?? {};
	return {
		content: message?.content ?? '',
		sideReasoning:
			typeof side.reasoning_content === 'string'
				? side.reasoning_content
				: typeof side.reasoning === 'string'
					? side.reasoning
					: null
	};
}

export const EMPTY_OUTPUT = 'The model returned an empty output.';

/**
 * A model's answer as a revision stores it, or null when it said nothing. For a conversation it
 * is the assistant turn (text, tool calls or both), checked against the thread's tools; tool
 * calls are recorded, never run.
 */
export function parseAnswer(
	prompt: Prompt,
	input: string,
	completion: ChatCompletion
): ParsedOutput | null {
	if (prompt.outputKind === 'turn') {
		const turn = turnOf(completion.choices[0]?.message);
		if (turn === null) return null;
		const read = readTurn(JSON.parse(input) as Thread, turn);
		return {
			output: JSON.stringify(turn),
			reasoning: answerOf(completion).sideReasoning,
			schemaValid: read.ok,
			schemaErrors: read.ok ? null : read.reason
		};
	}
	const { content, sideReasoning } = answerOf(completion);
	if (content.trim() === '') return null;
	return parseOutput(prompt, content, sideReasoning);
}

/** The tokens a call used, and what they cost at the model's prices. */
export function usageOf(
	completion: ChatCompletion,
	prices: Pick<Model, 'inputPricePerMTok' | 'outputPricePerMTok'>
) {
	const inputTokens = completion.usage?.prompt_tokens ?? 0;
	const outputTokens = completion.usage?.completion_tokens ?? 0;
	const cost =
		(inputTokens * prices.inputPricePerMTok + outputTokens * prices.outputPricePerMTok) / 1_000_000;
	return { inputTokens, outputTokens, cost };
}

export type ParsedOutput = {
	output: string;
	reasoning: string | null;
	/**
	 * null for text outputs; false with `schemaErrors` when JSON is broken or off-schema, or a
	 * turn's tool call does not fit its tool.
	 */
	schemaValid: boolean | null;
	schemaErrors: string | null;
};

/**
 * The model's answer as a revision stores it. JSON is normalised; broken or off-schema JSON
 * is kept as it came, marked invalid with the reason, for an annotator to repair.
 */
export function parseOutput(prompt: Prompt, content: string, sideReasoning?: string | null) {
	let text = content.trim();
	let reasoning: string | null = sideReasoning?.trim() || null;
	// Thoughts in tags are kept apart even unasked: a student trained on files with reasoning,
	// or a model that always thinks aloud, must not show them to annotators as its output.
	if (!prompt.wrapped) {
		const tagged = /^\s*<(reasoning|think)>([\s\S]*?)<\/\1>\s*/i.exec(text);
		if (tagged) {
			reasoning = tagged[2].trim();
			text = text.slice(tagged[0].length).trim();
		}
	}
	if (prompt.labels && !prompt.wrapped) {
		// A student trained on files that give the label by name may answer with the name.
		const names = readLabels(prompt.labels, text);
		if (names !== null) {
			return { output: labelsOutput(names), reasoning, schemaValid: true, schemaErrors: null };
		}
	}
	if (!isJsonOutput(prompt.outputKind)) {
		return { output: text, reasoning, schemaValid: null, schemaErrors: null } as ParsedOutput;
	}
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (e) {
		return {
			output: text,
			reasoning,
			schemaValid: false,
			schemaErrors: `not valid JSON: ${(e as Error).message}`
		} as ParsedOutput;
	}
	if (prompt.wrapped && value && typeof value === 'object' && 'output' in value) {
		const answer = value as { reasoning?: unknown; output: unknown };
		if (typeof answer.reasoning === 'string' && answer.reasoning.trim()) {
			reasoning = answer.reasoning.trim();
		}
		value = answer.output;
	}
	const problem = prompt.validate?.(value) ?? null;
	return {
		output: JSON.stringify(value),
		reasoning,
		schemaValid: prompt.validate ? problem === null : null,
		schemaErrors: problem
	} as ParsedOutput;
}

export const DEFAULT_PAIR_PROMPT =
	'Read the passage the user gives you. Propose questions or requests that a user of the task below could bring, which the passage answers, each with the ideal output for it. Use only what the passage says; each input must make sense on its own, without the passage.';

/** The prompt that turns a document's passage into input/output pairs for the task. */
export async function buildPairPrompt(
	db: Db,
	task: Task,
	options: { pairPrompt: string; pairsPerPassage: number }
): Promise<Prompt> {
	const requirements = await listRequirements(db, task.id);
	const system = [
		options.pairPrompt.trim() || DEFAULT_PAIR_PROMPT,
		`The task: ${buildSystemPrompt(task, requirements, { reasoning: false })}`,
		`Propose up to ${options.pairsPerPassage} pairs. Answer as JSON: {"pairs": [{"input": "...", "output": ...}]}.`
	].join('\n\n');
	const schema = task.outputSchema
		? (JSON.parse(task.outputSchema) as Record<string, unknown>)
		: null;
	const output = isJsonOutput(task.outputKind) ? (schema ?? {}) : { type: 'string' };
	return {
		mode: 'pairs',
		system,
		examples: [],
		responseFormat: {
			type: 'json_schema',
			json_schema: {
				name: 'pairs',
				schema: {
					type: 'object',
					properties: {
						pairs: {
							type: 'array',
							items: {
								type: 'object',
								properties: { input: { type: 'string' }, output },
								required: ['input', 'output']
							}
						}
					},
					required: ['pairs']
				}
			}
		},
		wrapped: false,
		reasoning: false,
		outputKind: task.outputKind,
		validate: compileValidator(task.outputSchema),
		pairsPerPassage: options.pairsPerPassage
	};
}

export type ParsedPair = ParsedOutput & { input: string };

/** The pairs a passage gave, each output checked as any output is; or why there are none. */
export function parsePairs(
	prompt: Prompt,
	content: string
): { pairs: ParsedPair[] } | { error: string } {
	let value: unknown;
	try {
		value = JSON.parse(content);
	} catch (e) {
		return { error: `The model's pairs are not valid JSON: ${(e as Error).message}` };
	}
	const list = (value as { pairs?: unknown })?.pairs;
	if (!Array.isArray(list)) return { error: 'The model\'s answer has no "pairs" list.' };
	const pairs: ParsedPair[] = [];
	const wanted = prompt.pairsPerPassage ?? list.length;
	for (const entry of list) {
		if (pairs.length >= wanted) break;
		const pair = entry as { input?: unknown; output?: unknown };
		if (typeof pair?.input !== 'string' || pair.input.trim() === '' || pair.output === undefined) {
			continue;
		}
		if (prompt.outputKind === 'turn') {
			// For a conversation project, each pair is a conversation of one question and its answer.
			if (typeof pair.output !== 'string' || pair.output.trim() === '') continue;
			pairs.push({
				input: JSON.stringify(threadOf(pair.input.trim())),
				output: JSON.stringify({ role: 'assistant', content: pair.output.trim() }),
				reasoning: null,
				schemaValid: true,
				schemaErrors: null
			});
			continue;
		}
		const text =
			typeof pair.output === 'string' && !isJsonOutput(prompt.outputKind)
				? pair.output
				: JSON.stringify(pair.output);
		pairs.push({ input: pair.input.trim(), ...parseOutput(prompt, text) });
	}
	return pairs.length > 0 ? { pairs } : { error: 'The model proposed no usable pair.' };
}
