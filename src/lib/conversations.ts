import { compileValidator, type SchemaValidator } from './jsonSchema';

// Conversations as teams distil them: the messages before a turn (system, user, assistant with
// tool calls, tool results), the tools offered, and the assistant turn under review. A thread is
// kept as the JSON values it came in (every message object as given, in order), so that what is
// exported is what was imported; what is read from it here is only checked, never rebuilt.
// Three shapes come in: OpenAI's chat fine-tuning lines, Hugging Face `messages` lines (tool
// arguments may be objects there) and ShareGPT `conversations` lines as LLaMA-Factory writes
// them; the last two are turned into the first.

export type ToolCall = {
	id: string;
	type: 'function';
	function: { name: string; arguments: string };
};

export type Message = {
	role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
	content?: unknown;
	name?: string;
	tool_calls?: ToolCall[];
	tool_call_id?: string;
	weight?: 0 | 1;
	[other: string]: unknown;
};

export type Tool = {
	type: 'function';
	function: { name: string; description?: string; parameters?: object; strict?: boolean };
};

/** One line of OpenAI's chat fine-tuning format. */
export type Thread = {
	messages: Message[];
	tools?: Tool[];
	parallel_tool_calls?: boolean;
	[other: string]: unknown;
};

export type ThreadRead = { ok: true; thread: Thread } | { ok: false; reason: string };

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** Tools' parameter schemas recur on every line of a file: each is compiled once. */
const validators = new Map<string, SchemaValidator | null>();
const VALIDATORS_KEPT = 1000;

function validatorFor(parameters: object): SchemaValidator | null {
	const text = JSON.stringify(parameters);
	let check = validators.get(text);
	if (check === undefined) {
		check = compileValidator(text);
		if (validators.size >= VALIDATORS_KEPT) validators.clear();
		validators.set(text, check);
	}
	return check;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

/** Each tool's name with a check of its arguments, or why the tools cannot be read. */
function readTools(tools: unknown):
	| { ok: true; tools: Map<string, SchemaValidator | null> }
	| {
			ok: false;
			reason: string;
	  } {
	const known = new Map<string, SchemaValidator | null>();
	if (tools === undefined) return { ok: true, tools: known };
	if (!Array.isArray(tools)) return { ok: false, reason: '“tools” is not a list.' };
	for (const [i, tool] of tools.entries()) {
		const fn = isObject(tool) ? tool.function : undefined;
		if (
			!isObject(tool) ||
			tool.type !== 'function' ||
			!isObject(fn) ||
			typeof fn.name !== 'string'
		) {
			return {
				ok: false,
				reason: `Tool ${i + 1} is not {"type": "function", "function": {"name": …}}.`
			};
		}
		if (known.has(fn.name)) return { ok: false, reason: `Tool “${fn.name}” is defined twice.` };
		let check: SchemaValidator | null = null;
		if (fn.parameters !== undefined) {
			if (!isObject(fn.parameters)) {
				return {
					ok: false,
					reason: `Tool “${fn.name}”: its parameters are not a JSON Schema object.`
				};
			}
			try {
				check = validatorFor(fn.parameters);
			} catch (e) {
				return {
					ok: false,
					reason: `Tool “${fn.name}”: its parameters are not a valid JSON Schema (${(e as Error).message}).`
				};
			}
		}
		known.set(fn.name, check);
	}
	return { ok: true, tools: known };
}

/**
 * Checks one OpenAI chat line: known roles in a sensible order, every tool call naming a
 * defined tool with arguments that are JSON and meet its schema, every tool message answering
 * an earlier call, and an assistant turn last. The thread comes back as given.
 */
export function readOpenAiThread(value: unknown, ends: Ending = 'a turn'): ThreadRead {
	return readMessages(value, ends);
}

/**
 * Checks the thread before a turn (a conversation example's input, or what the playground is
 * given) as a line is checked, except that it must end where an assistant would answer.
 */
export function readContext(value: unknown): ThreadRead {
	return readMessages(value, 'a question');
}

/**
 * Where a thread may end: with an assistant turn (a training line), where one begins (a user
 * or tool message: the thread before a turn), or either (an import, with or without outputs).
 */
export type Ending = 'a turn' | 'a question' | 'either';

function readMessages(value: unknown, endsWith: Ending): ThreadRead {
	if (!isObject(value)) return { ok: false, reason: 'The line is not a JSON object.' };
	const { messages } = value;
	if (!Array.isArray(messages) || messages.length === 0) {
		return { ok: false, reason: '“messages” is missing or empty.' };
	}
	const tools = readTools(value.tools);
	if (!tools.ok) return tools;
	if (value.parallel_tool_calls !== undefined && typeof value.parallel_tool_calls !== 'boolean') {
		return { ok: false, reason: '“parallel_tool_calls” is not true or false.' };
	}
	const unanswered = new Set<string>();
	const callIds = new Set<string>();
	for (const [i, message] of messages.entries()) {
		const at = `Message ${i + 1}`;
		if (!isObject(message)) return { ok: false, reason: `${at} is not an object.` };
		const role = message.role;
		if (typeof role !== 'string' || !ROLES.has(role)) {
			return { ok: false, reason: `${at} has an unknown role ${JSON.stringify(role)}.` };
		}
		if (message.weight !== undefined && message.weight !== 0 && message.weight !== 1) {
			return { ok: false, reason: `${at}: “weight” is 0 or 1.` };
		}
		if (message.weight !== undefined && role !== 'assistant') {
			return { ok: false, reason: `${at}: only an assistant message has a weight.` };
		}
		if (role === 'tool') {
			const id = message.tool_call_id;
			if (typeof id !== 'string' || !callIds.has(id)) {
				return {
					ok: false,
					reason: `${at} is a tool result for ${typeof id === 'string' ? `“${id}”` : 'no call'}, which no earlier tool call made.`
				};
			}
			unanswered.delete(id);
			continue;
		}
		if (unanswered.size > 0) {
			return {
				ok: false,
				reason: `${at} comes before the result of tool call “${[...unanswered][0]}”.`
			};
		}
		if (message.tool_calls !== undefined) {
			if (role !== 'assistant')
				return { ok: false, reason: `${at}: only an assistant calls tools.` };
			const calls = readCalls(message.tool_calls, tools.tools, at, value.parallel_tool_calls);
			if (!calls.ok) return calls;
			for (const id of calls.ids) {
				if (callIds.has(id))
					return { ok: false, reason: `${at}: the call id “${id}” was used before.` };
				callIds.add(id);
				unanswered.add(id);
			}
		} else if (role === 'assistant' || role === 'user' || role === 'system') {
			if (message.content === undefined || message.content === null) {
				return { ok: false, reason: `${at} (${role}) has no content.` };
			}
		}
	}
	const last = messages[messages.length - 1] as Message;
	if (endsWith === 'either' && last.role !== 'system' && last.role !== 'developer') {
		return { ok: true, thread: value as Thread };
	}
	if (endsWith === 'either') {
		return {
			ok: false,
			reason: `The thread ends with a ${last.role} message: it should end with an assistant turn, or with the user or tool message an assistant answers.`
		};
	}
	if (endsWith === 'a question') {
		if (last.role === 'assistant') {
			return {
				ok: false,
				reason: 'The thread ends with an assistant turn; it should end where the next one begins.'
			};
		}
		return { ok: true, thread: value as Thread };
	}
	if (last.role !== 'assistant') {
		return {
			ok: false,
			reason: `The thread ends with a ${last.role} message, not an assistant turn to review.`
		};
	}
	return { ok: true, thread: value as Thread };
}

function readCalls(
	calls: unknown,
	tools: Map<string, SchemaValidator | null>,
	at: string,
	parallel: unknown
): { ok: true; ids: string[] } | { ok: false; reason: string } {
	if (!Array.isArray(calls) || calls.length === 0) {
		return { ok: false, reason: `${at}: “tool_calls” is not a list of calls.` };
	}
	if (calls.length > 1 && parallel === false) {
		return {
			ok: false,
			reason: `${at} makes ${calls.length} calls at once, but parallel_tool_calls is false.`
		};
	}
	const ids: string[] = [];
	for (const call of calls) {
		const fn = isObject(call) ? call.function : undefined;
		if (
			!isObject(call) ||
			typeof call.id !== 'string' ||
			call.type !== 'function' ||
			!isObject(fn)
		) {
			return {
				ok: false,
				reason: `${at}: a tool call is not {"id", "type": "function", "function"}.`
			};
		}
		const name = fn.name;
		if (typeof name !== 'string' || !tools.has(name)) {
			return {
				ok: false,
				reason: `${at} calls ${typeof name === 'string' ? `“${name}”` : 'a tool with no name'}, which is not among the thread’s tools.`
			};
		}
		if (typeof fn.arguments !== 'string') {
			return { ok: false, reason: `${at}: the arguments of “${name}” are not a JSON string.` };
		}
		let args: unknown;
		try {
			args = JSON.parse(fn.arguments);
		} catch {
			return { ok: false, reason: `${at}: the arguments of “${name}” are not JSON.` };
		}
		const problem = tools.get(name)?.(args);
		if (problem) {
			return {
				ok: false,
				reason: `${at}: the arguments of “${name}” fail its schema: ${problem}.`
			};
		}
		ids.push(call.id);
	}
	return { ok: true, ids };
}

/**
 * A Hugging Face `messages` line (TRL's chat templates): tool arguments may be objects, and
 * tools may be given as bare functions. Turned into the OpenAI shape, then checked as one.
 */
export function readHuggingFaceThread(value: unknown, ends: Ending = 'a turn'): ThreadRead {
	if (!isObject(value) || !Array.isArray(value.messages)) {
		return { ok: false, reason: '“messages” is missing.' };
	}
	let callNumber = 0;
	const messages = value.messages.map((message) => {
		if (!isObject(message) || !Array.isArray(message.tool_calls)) return message;
		return {
			...message,
			tool_calls: message.tool_calls.map((call) => {
				if (!isObject(call)) return call;
				const fn = isObject(call.function) ? call.function : call;
				const args = fn.arguments;
				return {
					id: typeof call.id === 'string' ? call.id : `call_${++callNumber}`,
					type: 'function',
					function: {
						name: fn.name,
						arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {})
					}
				};
			})
		};
	});
	const tools = Array.isArray(value.tools)
		? value.tools.map((tool) =>
				isObject(tool) && tool.type === undefined && typeof tool.name === 'string'
					? { type: 'function', function: tool }
					: tool
			)
		: value.tools;
	return readOpenAiThread({ ...value, messages, ...(tools !== undefined ? { tools } : {}) }, ends);
}

const SHAREGPT_ROLES: Record<string, Message['role']> = {
	system: 'system',
	human: 'user',
	user: 'user',
	gpt: 'assistant',
	assistant: 'assistant'
};

/**
 * A ShareGPT line as LLaMA-Factory writes it: `conversations` of {from, value}, with
 * `function_call` turns (the value a JSON {name, arguments}) and `observation` turns (the
 * result), and `tools` as a JSON text. Turned into the OpenAI shape, then checked as one.
 */
export function readShareGptThread(value: unknown, ends: Ending = 'a turn'): ThreadRead {
	if (!isObject(value) || !Array.isArray(value.conversations)) {
		return { ok: false, reason: '“conversations” is missing.' };
	}
	const messages: Message[] = [];
	if (typeof value.system === 'string' && value.system !== '') {
		messages.push({ role: 'system', content: value.system });
	}
	let calls = 0;
	const pending: string[] = [];
	for (const [i, turn] of value.conversations.entries()) {
		if (!isObject(turn) || typeof turn.from !== 'string' || typeof turn.value !== 'string') {
			return { ok: false, reason: `Turn ${i + 1} is not {"from", "value"}.` };
		}
		if (turn.from === 'function_call') {
			let call: unknown;
			try {
				call = JSON.parse(turn.value);
			} catch {
				return { ok: false, reason: `Turn ${i + 1}: the function call is not JSON.` };
			}
			const list = Array.isArray(call) ? call : [call];
			const made = list.map((c) => {
				const id = `call_${++calls}`;
				pending.push(id);
				const one = isObject(c) ? c : {};
				return {
					id,
					type: 'function' as const,
					function: {
						name: String(one.name ?? ''),
						arguments:
							typeof one.arguments === 'string'
								? one.arguments
								: JSON.stringify(one.arguments ?? {})
					}
				};
			});
			messages.push({ role: 'assistant', content: null, tool_calls: made });
		} else if (turn.from === 'observation') {
			const id = pending.shift();
			messages.push({ role: 'tool', tool_call_id: id ?? 'none', content: turn.value });
		} else if (SHAREGPT_ROLES[turn.from]) {
			messages.push({ role: SHAREGPT_ROLES[turn.from], content: turn.value });
		} else {
			return { ok: false, reason: `Turn ${i + 1} has an unknown role “${turn.from}”.` };
		}
	}
	let tools: unknown = undefined;
	if (typeof value.tools === 'string' && value.tools.trim() !== '') {
		try {
			tools = JSON.parse(value.tools);
		} catch {
			return { ok: false, reason: '“tools” is not JSON.' };
		}
	} else if (Array.isArray(value.tools)) tools = value.tools;
	if (Array.isArray(tools)) {
		tools = tools.map((tool) =>
			isObject(tool) && tool.type === undefined ? { type: 'function', function: tool } : tool
		);
	}
	return readOpenAiThread({ messages, ...(tools !== undefined ? { tools } : {}) }, ends);
}

export type TurnRead = { ok: true; turn: Message } | { ok: false; reason: string };

/**
 * Checks an assistant turn as the answer to the thread before it (its tool calls name the
 * thread's tools with arguments that meet their schemas): a repair, or a model's answer.
 */
export function readTurn(context: Thread, value: unknown): TurnRead {
	if (!isObject(value) || value.role !== 'assistant') {
		return { ok: false, reason: 'The turn is not an assistant message.' };
	}
	const read = readOpenAiThread({ ...context, messages: [...context.messages, value] });
	if (!read.ok) return { ok: false, reason: read.reason.replace(/^Message \d+/, 'The turn') };
	return { ok: true, turn: value as Message };
}

export type ToolCallProblem = 'tool_undefined' | 'tool_arguments_invalid' | 'tool_call_unanswered';

/**
 * What is wrong with a training line's tool calls, as a fine-tuning service would refuse it: a
 * call to a tool the line does not define, arguments that are not JSON or fail the tool's
 * schema, a call before the last message that no tool result answers.
 */
export function toolCallProblems(line: { messages: unknown[]; tools?: unknown }) {
	const problems = new Set<ToolCallProblem>();
	const tools = readTools(line.tools);
	const known = tools.ok ? tools.tools : new Map<string, SchemaValidator | null>();
	const open = new Set<unknown>();
	line.messages.forEach((message, i) => {
		if (!isObject(message)) return;
		if (message.role === 'tool') open.delete(message.tool_call_id);
		if (!Array.isArray(message.tool_calls)) return;
		for (const call of message.tool_calls) {
			const fn = isObject(call) && isObject(call.function) ? call.function : {};
			if (typeof fn.name !== 'string' || !known.has(fn.name)) {
				problems.add('tool_undefined');
				continue;
			}
			try {
				if (typeof fn.arguments !== 'string' || known.get(fn.name)?.(JSON.parse(fn.arguments)))
					problems.add('tool_arguments_invalid');
			} catch {
				problems.add('tool_arguments_invalid');
			}
			if (i < line.messages.length - 1 && isObject(call)) open.add(call.id);
		}
	});
	if (open.size > 0) problems.add('tool_call_unanswered');
	return problems;
}

/**
 * A question written without a thread (a synthetic input, a question proposed from a
 * document) as the opening of a conversation.
 */
export function threadOf(question: string): Thread {
	return { messages: [{ role: 'user', content: question }] };
}

/**
 * The thread as a model is asked it or trained on it: the project's instruction as its system
 * message when it brings none of its own.
 */
export function withInstruction(messages: Message[], instruction: string): Message[] {
	const own = messages[0]?.role === 'system' || messages[0]?.role === 'developer';
	return own || instruction.trim() === ''
		? messages
		: [{ role: 'system', content: instruction.trim() }, ...messages];
}

/**
 * What a chat request carries for the next turn of a thread: its messages without the
 * training-only weights, and its tools offered with the choice left to the model.
 */
export function turnRequest(context: Thread, instruction: string) {
	const { messages, tools, parallel_tool_calls } = context;
	return {
		messages: withInstruction(messages, instruction).map((m) => {
			const { weight: _weight, ...rest } = m;
			void _weight;
			return rest;
		}),
		...(tools && tools.length > 0
			? {
					tools,
					tool_choice: 'auto' as const,
					...(parallel_tool_calls !== undefined ? { parallel_tool_calls } : {})
				}
			: {})
	};
}

/** A model's reply as an assistant turn: its text and its function calls; null when empty. */
export function turnOf(reply: { content?: string | null; tool_calls?: unknown } | undefined) {
	// A provider that sends no id, or objects for arguments, still gives a turn that can be
	// shown, repaired and exported: ids made unique, arguments as JSON text.
	const calls = (Array.isArray(reply?.tool_calls) ? reply.tool_calls : []).flatMap((c, i) =>
		isObject(c) && isObject(c.function)
			? [
					{
						id: typeof c.id === 'string' && c.id !== '' ? c.id : `call_${i + 1}`,
						type: 'function' as const,
						function: {
							name: String(c.function.name),
							arguments:
								typeof c.function.arguments === 'string'
									? c.function.arguments
									: JSON.stringify(c.function.arguments ?? {})
						}
					}
				]
			: []
	);
	if (new Set(calls.map((c) => c.id)).size < calls.length) {
		calls.forEach((c, i) => (c.id = `call_${i + 1}`));
	}
	const text =
		typeof reply?.content === 'string' && reply.content.trim() !== '' ? reply.content : null;
	if (text === null && calls.length === 0) return null;
	const turn: Message = { role: 'assistant', content: text };
	if (calls.length > 0) turn.tool_calls = calls;
	return turn;
}

/** One assistant turn to review, with the thread before it; null while it is still to write. */
export type TurnToReview = { before: Message[]; turn: Message | null };

/**
 * The turns a thread gives to review: its final assistant turn, or each assistant turn with the
 * messages before it (a turn that calls tools is one too). A thread that ends where an
 * assistant would answer gives that turn too, still to write.
 */
export function turnsToReview(thread: Thread, each: boolean): TurnToReview[] {
	const { messages } = thread;
	const open = messages[messages.length - 1]?.role !== 'assistant';
	const final = open
		? { before: messages, turn: null }
		: { before: messages.slice(0, -1), turn: messages[messages.length - 1] };
	if (!each) return [final];
	// A greeting before anyone asked is context, not a turn: its thread has no opening yet, and
	// could not keep the split of the conversation it opens.
	const firstUser = messages.findIndex((m) => m.role === 'user');
	const earlier = messages.flatMap((turn, i) =>
		turn.role === 'assistant' && i < messages.length - 1 && i > firstUser && firstUser !== -1
			? [{ before: messages.slice(0, i), turn }]
			: []
	);
	return [...earlier, final];
}

/**
 * What decides a conversation's split: its opening (everything up to and with its first user
 * message), so every turn taken from one conversation lands in the same split.
 */
export function conversationOpening(thread: Pick<Thread, 'messages'>): string {
	const firstUser = thread.messages.findIndex((m) => m.role === 'user');
	const opening = thread.messages.slice(0, firstUser === -1 ? 1 : firstUser + 1);
	return JSON.stringify(opening.map((m) => ({ role: m.role, content: m.content ?? null })));
}

/** A call's arguments as a value; arguments that are not JSON (a turn kept for repair) as given. */
function parsedArguments(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/** A message's text: a string as it is, content parts' text joined, anything else as JSON. */
export function messageText(content: unknown): string {
	if (typeof content === 'string') return content;
	if (content === null || content === undefined) return '';
	if (Array.isArray(content)) {
		return content
			.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : ''))
			.join('');
	}
	return JSON.stringify(content);
}

/**
 * The Hugging Face `messages` line TRL's chat templates take: tool arguments as objects, tools
 * as OpenAI's function definitions, a message's text as a string; no OpenAI-only weights.
 */
export function huggingFaceLine(thread: Thread) {
	return {
		messages: thread.messages.map((m) => {
			const { weight: _weight, ...rest } = m;
			void _weight;
			return {
				...rest,
				content:
					m.tool_calls && (m.content === null || m.content === undefined)
						? ''
						: messageText(m.content),
				...(m.tool_calls
					? {
							tool_calls: m.tool_calls.map((c) => ({
								id: c.id,
								type: 'function' as const,
								function: {
									name: c.function.name,
									arguments: parsedArguments(c.function.arguments)
								}
							}))
						}
					: {})
			};
		}),
		...(thread.tools ? { tools: thread.tools } : {})
	};
}

/**
 * The ShareGPT line LLaMA-Factory takes: `system` apart, then human / gpt turns, each call as a
 * `function_call` turn (several at once as a list) and each result as an `observation`, with
 * the tools as a JSON text. An assistant's text beside its calls has no place there and is left
 * out.
 */
export function shareGptLine(thread: Thread) {
	const conversations: { from: string; value: string }[] = [];
	let system: string | undefined;
	for (const m of thread.messages) {
		if ((m.role === 'system' || m.role === 'developer') && conversations.length === 0) {
			system = [system, messageText(m.content)].filter(Boolean).join('\n\n');
		} else if (m.role === 'user') {
			conversations.push({ from: 'human', value: messageText(m.content) });
		} else if (m.role === 'assistant' && m.tool_calls) {
			const calls = m.tool_calls.map((c) => ({
				name: c.function.name,
				arguments: parsedArguments(c.function.arguments)
			}));
			conversations.push({
				from: 'function_call',
				value: JSON.stringify(calls.length === 1 ? calls[0] : calls)
			});
		} else if (m.role === 'assistant') {
			conversations.push({ from: 'gpt', value: messageText(m.content) });
		} else if (m.role === 'tool') {
			conversations.push({ from: 'observation', value: messageText(m.content) });
		}
	}
	return {
		conversations,
		...(system !== undefined ? { system } : {}),
		...(thread.tools ? { tools: JSON.stringify(thread.tools.map((t) => t.function)) } : {})
	};
}
