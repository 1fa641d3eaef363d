import { createHash } from 'node:crypto';
// A local stand-in for an OpenAI-compatible provider, over real HTTP: chat completions (with
// json_schema response formats and usage), the models list, files and fine-tuning jobs. Tests
// start it on a free port; `npm run standin` starts it by hand for development.
//
// Its faults are settable: latency, a share of requests answered 429 (with Retry-After), 500
// or never, and a share of outputs malformed (broken JSON) or schema-invalid. A `plan` hook
// decides per request, for tests that need an exact sequence.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mulberry32 } from '../../src/lib/random';
import { fireworksStandin, type FireworksStats } from './standin-fireworks';
import { hubStandin } from './standin-hf';

export type Behaviour = 'ok' | '429' | '500' | 'hang' | 'malformed' | 'invalid';

export type StandinRequest = {
	model: string;
	messages: { role: string; content: string }[];
	/** The text of the last user message. */
	input: string;
	/** How many chat requests came before this one. */
	index: number;
};

export type StandinOptions = {
	latencyMs: number;
	/** Share of chat requests that fail, spread evenly over `faults`. */
	errorRate: number;
	faults: ('429' | '500' | 'hang')[];
	/** Sent as Retry-After (whole seconds, rounded up) and retry-after-ms. */
	retryAfterMs: number;
	/** Share of outputs that are broken JSON (json formats) or do not fit the schema. */
	malformedRate: number;
	models: string[];
	/** When set, requests must carry this key as a bearer token. */
	apiKey: string | null;
	/** A refused key is quoted back, whole and masked, as some providers and proxies do. */
	echoKey: boolean;
	seed: number;
	/** Decides a request's fate; return undefined to fall back to the rates above. */
	plan?: (request: StandinRequest) => Behaviour | undefined;
	/** Seconds a fine-tuning job takes from created to succeeded. */
	fineTuneSeconds: number;
	/** Refuses every uploaded file, as a provider does with one it cannot use. */
	refuseFiles: boolean;
	/** How many file uploads from now on meet a 503, as in a provider's outage. */
	uploadOutages: number;
	/** How long an OpenAI file upload takes to be answered, as over a slow link. */
	uploadDelayMs: number;
	/**
	 * As a judge (a request for structured output named "judgment"): the share of outputs with
	 * a planted "[defect]" it rates worst, and the share of good outputs it wrongly rates worst.
	 * Which ones is decided by the seed and the output's text, so a run is repeatable.
	 */
	judgeCatchRate: number;
	judgeFalseFailRate: number;
	/**
	 * As a pairwise judge (structured output named "preference"): it prefers the output without
	 * a planted "[defect]"; when both or neither carry one, it picks the output shown first this
	 * share of the time (a position bias), and says tie otherwise.
	 */
	judgePositionBias: number;
	/** The Fireworks account the key may use; any other is refused (403). */
	fireworksAccount: string;
	/** Who the key is on the Hugging Face Hub: the namespace its jobs and repositories live in. */
	hubUser: string;
	/**
	 * Words a model puts before its plain-text answers, so that two models answer one input
	 * differently, as real ones do; a model not named answers plainly.
	 */
	answerOpenings: Record<string, string>;
	/** Each new sample of the same request is told apart (", take 2"), as sampling does. */
	variedSamples: boolean;
};

export const STANDIN_DEFAULTS: StandinOptions = {
	latencyMs: 0,
	errorRate: 0,
	faults: ['429', '500', 'hang'],
	retryAfterMs: 1000,
	malformedRate: 0,
	models: ['teacher-large', 'student-small'],
	answerOpenings: {},
	variedSamples: false,
	apiKey: null,
	echoKey: false,
	seed: 1,
	fineTuneSeconds: 2,
	refuseFiles: false,
	uploadOutages: 0,
	uploadDelayMs: 0,
	judgeCatchRate: 0.8,
	judgeFalseFailRate: 0.1,
	judgePositionBias: 0,
	fireworksAccount: 'standin-account',
	hubUser: 'standin-user'
};

type JsonSchema = {
	type?: string | string[];
	properties?: Record<string, JsonSchema>;
	required?: string[];
	items?: JsonSchema;
	enum?: unknown[];
	const?: unknown;
	anyOf?: JsonSchema[];
	oneOf?: JsonSchema[];
	minItems?: number;
	maxItems?: number;
	minimum?: number;
	minLength?: number;
};

/** A value that fits the schema, built from the input so outputs differ by input. */
export function valueFor(schema: JsonSchema | undefined, seedText: string, path = ''): unknown {
	if (!schema) return `answer to ${seedText}`;
	if (schema.const !== undefined) return schema.const;
	if (schema.enum) return schema.enum[0];
	const alternative = schema.anyOf?.[0] ?? schema.oneOf?.[0];
	if (alternative) return valueFor(alternative, seedText, path);
	const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
	switch (type) {
		case 'object': {
			const out: Record<string, unknown> = {};
			for (const [key, sub] of Object.entries(schema.properties ?? {})) {
				out[key] = valueFor(sub, seedText, `${path}${key} `);
			}
			return out;
		}
		case 'array': {
			const length = Math.min(schema.maxItems ?? Infinity, Math.max(3, schema.minItems ?? 0));
			// A list of choices (labels) takes distinct ones, which differ from input to input.
			const choices = schema.items?.enum;
			if (choices) {
				const start = [...seedText].reduce((sum, c) => sum + c.charCodeAt(0), 0);
				return Array.from(
					{ length: Math.min(length, choices.length) },
					(_, i) => choices[(start + i) % choices.length]
				);
			}
			return Array.from({ length }, (_, i) => valueFor(schema.items, `${seedText} ${i + 1}`, ''));
		}
		case 'integer':
			return Math.max(schema.minimum ?? 1, 1);
		case 'number':
			return Math.max(schema.minimum ?? 0.5, 0.5);
		case 'boolean':
			return true;
		case 'null':
			return null;
		default: {
			const text = `${path}${seedText}`.trim() || 'text';
			return text.padEnd(schema.minLength ?? 0, '.');
		}
	}
}

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

async function bodyOf(request: IncomingMessage): Promise<unknown> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	const text = Buffer.concat(chunks).toString('utf8');
	if (text === '') return {};
	return JSON.parse(text);
}

async function bodyText(request: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown, headers = {}) {
	response.writeHead(status, { 'content-type': 'application/json', ...headers });
	response.end(JSON.stringify(body));
}

/** The fields and the file of a multipart/form-data body. */
function multipartOf(body: Buffer, contentType: string) {
	const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
	const fields: Record<string, string> = {};
	let file: { filename: string; content: string } | null = null;
	if (!boundary) return { fields, file };
	for (const part of body.toString('utf8').split(`--${boundary[1] ?? boundary[2]}`)) {
		const split = part.indexOf('\r\n\r\n');
		if (split === -1) continue;
		const head = part.slice(0, split);
		const content = part.slice(split + 4).replace(/\r\n$/, '');
		const name = /name="([^"]*)"/.exec(head)?.[1];
		const filename = /filename="([^"]*)"/.exec(head)?.[1];
		if (filename !== undefined) file = { filename, content };
		else if (name) fields[name] = content;
	}
	return { fields, file };
}

const apiError = (message: string, type: string, code: string | null = null) => ({
	error: { message, type, code, param: null }
});

type FineTuneJob = {
	id: string;
	model: string;
	training_file: string;
	validation_file: string | null;
	suffix: string | null;
	created_at: number;
	createdMs: number;
	cancelledAt: number | null;
	hyperparameters: Record<string, unknown>;
	/** 'supervised' or 'dpo', as the create request asked. */
	method: string;
	/** Together: the earlier job (or its model) this one continues from. */
	fromCheckpoint?: string | null;
};

/** A fine-tuning job as both providers' create requests describe it. */
function newFineTuneJob(
	id: string,
	body: Record<string, unknown>,
	hyperparameters: Record<string, unknown>,
	method = 'supervised'
): FineTuneJob {
	return {
		id,
		model: String(body.model ?? ''),
		training_file: String(body.training_file ?? ''),
		validation_file: (body.validation_file as string | undefined) ?? null,
		suffix: (body.suffix as string | undefined) ?? null,
		created_at: Math.floor(Date.now() / 1000),
		createdMs: Date.now(),
		cancelledAt: null,
		hyperparameters,
		method
	};
}

export type Standin = {
	url: string;
	port: number;
	options: StandinOptions;
	/** Changes the settings from now on. */
	set(changes: Partial<StandinOptions>): void;
	stats: {
		requests: number;
		byBehaviour: Record<string, number>;
		maxInFlight: number;
		fineTuneJobs: number;
		/** Of those, preference (DPO) jobs, on any of the providers. */
		dpoJobs: number;
	};
	/** What the Fireworks section was asked: uploads through a signed URL, deployments made. */
	fireworks: FireworksStats;
	/** What the Hugging Face section was asked: jobs run. */
	hub: { jobs: number };
	/** Every file uploaded (OpenAI, Together and Fireworks), with its content as received. */
	uploads: { filename: string; content: string }[];
	/** Each model's distinct system messages, as its chat requests carried them. */
	systemPrompts: Map<string, Set<string>>;
	/** Every chat request, with its input and when it came (milliseconds since the epoch). */
	chatCalls: { input: string; at: number }[];
	/** Each hung chat request the client gave up on, with when it closed the connection. */
	hangsClosed: { input: string; at: number }[];
	close(): Promise<void>;
};

export async function startStandin(
	changes: Partial<StandinOptions> = {},
	port = 0
): Promise<Standin> {
	const options: StandinOptions = { ...STANDIN_DEFAULTS, ...changes };
	let random = mulberry32(options.seed);
	const stats = {
		requests: 0,
		byBehaviour: {} as Record<string, number>,
		maxInFlight: 0,
		fineTuneJobs: 0,
		dpoJobs: 0
	};
	let inFlight = 0;
	let chatIndex = 0;
	let ownPort: () => number = () => 0;
	const sockets = new Set<Socket>();
	const files = new Map<string, { id: string; bytes: number; filename: string; purpose: string }>();
	const fineTunes = new Map<string, FineTuneJob>();
	/** Every file uploaded, as received: what a provider would train on. */
	const uploads: { filename: string; content: string }[] = [];
	/** Models made by finished fine-tunes: served from the moment their job says so. */
	const trained = new Set<string>();
	const systemPrompts = new Map<string, Set<string>>();
	const chatCalls: { input: string; at: number }[] = [];
	const hangsClosed: { input: string; at: number }[] = [];

	function behaviourFor(request: StandinRequest): Behaviour {
		const planned = options.plan?.(request);
		if (planned) return planned;
		const roll = random();
		if (roll < options.errorRate) {
			return options.faults[Math.floor((roll / options.errorRate) * options.faults.length)];
		}
		if (random() < options.malformedRate) return random() < 0.5 ? 'malformed' : 'invalid';
		return 'ok';
	}

	/**
	 * A judge's answer, as a signal-detection model: it perceives an output's quality as its
	 * truth plus logistic noise, and rates the threshold's place on the scale plus the whole
	 * steps it perceived (below zero fails). The two truths are set so that it fails exactly the
	 * settable shares of defective and of good outputs; a defect it misses is still more often
	 * rated at the threshold's edge than a good output, as a real judge's doubt shows. The
	 * threshold is read from the rubric's scale line, as a model would read it.
	 */
	function judgment(schema: JsonSchema, shown: string, system: string) {
		const output =
			/Output to judge:\n([\s\S]*?)(?:\n\nReference output|$)/.exec(shown)?.[1] ?? shown;
		const draw =
			(parseInt(
				createHash('sha256').update(`${options.seed}:${output}`).digest('hex').slice(0, 8),
				16
			) +
				0.5) /
			2 ** 32;
		const properties = schema.properties as Record<string, JsonSchema>;
		const labels = (properties.overall.properties as Record<string, JsonSchema>).rating
			.enum as string[];
		const accepted = /accepted at "([^"]+)"/.exec(system)?.[1];
		const edge =
			accepted && labels.includes(accepted) ? labels.indexOf(accepted) : labels.length - 1;
		const logit = (p: number) => Math.log(p / (1 - p));
		const bounded = (rate: number) => Math.min(1 - 1e-9, Math.max(1e-9, rate));
		const failRate = output.includes('[defect]')
			? options.judgeCatchRate
			: options.judgeFalseFailRate;
		const spread = 0.55;
		// Perceived below zero exactly when draw < failRate: the settable share fails.
		const perceived = spread * (logit(draw) - logit(bounded(failRate)));
		const place = Math.min(labels.length - 1, Math.max(0, edge + Math.floor(perceived)));
		const fails = place < edge;
		const rated = {
			rating: labels[place],
			rationale: fails
				? 'The output falls short of the task.'
				: 'The output does what the task asks.'
		};
		const names = Object.keys((properties.requirements.properties as object | undefined) ?? {});
		return { overall: rated, requirements: Object.fromEntries(names.map((n) => [n, rated])) };
	}

	/** A pairwise judge's answer: the output without a defect, else its leaning, else a tie. */
	function preference(shown: string) {
		const first = /Output A:\n([\s\S]*?)\n\nOutput B:/.exec(shown)?.[1] ?? '';
		const second = /Output B:\n([\s\S]*)$/.exec(shown)?.[1] ?? '';
		const flawed = [first, second].map((o) => o.includes('[defect]'));
		const draw =
			parseInt(
				createHash('sha256').update(`${options.seed}:${shown}`).digest('hex').slice(0, 8),
				16
			) /
			2 ** 32;
		const winner =
			flawed[0] !== flawed[1]
				? flawed[0]
					? 'B'
					: 'A'
				: draw < options.judgePositionBias
					? 'A'
					: 'tie';
		return {
			winner,
			rationale: winner === 'tie' ? 'Neither is better.' : `Output ${winner} does the task better.`
		};
	}

	/**
	 * What OpenAI refuses in a thread's messages before answering: a key it does not know (the
	 * training-only `weight`), a tool result that answers no call made before it.
	 */
	function threadProblem(messages: Record<string, unknown>[]): string | null {
		const known = new Set(['role', 'content', 'name', 'tool_calls', 'tool_call_id', 'refusal']);
		const calls = new Set<unknown>();
		for (const [i, message] of messages.entries()) {
			const unknown = Object.keys(message).find((key) => !known.has(key));
			if (unknown) return `Unknown parameter: 'messages[${i}].${unknown}'.`;
			for (const call of (message.tool_calls as { id: string }[] | undefined) ?? []) {
				calls.add(call.id);
			}
			if (message.role === 'tool' && !calls.has(message.tool_call_id)) {
				return `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.`;
			}
		}
		return null;
	}

	/**
	 * A thread's next turn, as a model that has learnt its tools answers: a user's question is
	 * answered with a call to each tool it names (the first tool when it names none, one call
	 * only when parallel calls are off), arguments made to fit the tool's parameters; once the
	 * results are in, with text.
	 */
	function toolTurn(
		tools: { function: { name: string; parameters?: JsonSchema } }[],
		last: Record<string, unknown>,
		question: string,
		parallel: unknown,
		index: number
	) {
		if (last.role !== 'user') return null;
		const named = tools.filter((t) => question.includes(t.function.name));
		const chosen = (named.length > 0 ? named : tools.slice(0, 1)).slice(
			0,
			parallel === false ? 1 : undefined
		);
		return chosen.map((tool, n) => ({
			id: `call_standin_${index}_${n}`,
			type: 'function',
			function: {
				name: tool.function.name,
				arguments: JSON.stringify(valueFor(tool.function.parameters, question))
			}
		}));
	}

	/** How often each model was asked each input, for `variedSamples`. */
	const takes = new Map<string, number>();

	async function chat(body: Record<string, unknown>, response: ServerResponse) {
		const thread = (Array.isArray(body.messages) ? body.messages : []) as Record<string, unknown>[];
		const messages = thread.map((m) => ({
			role: String(m.role),
			content: Array.isArray(m.content)
				? m.content.map((p: { text?: string }) => p.text ?? '').join('')
				: String(m.content ?? '')
		}));
		const modelName = String(body.model ?? '');
		const input = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
		const request = { model: modelName, messages, input, index: chatIndex++ };
		chatCalls.push({ input, at: Date.now() });
		const systemMessage = messages.find((m) => m.role === 'system')?.content;
		if (systemMessage !== undefined) {
			const seen = systemPrompts.get(modelName) ?? new Set<string>();
			systemPrompts.set(modelName, seen.add(systemMessage));
		}
		if (!options.models.includes(modelName) && !trained.has(modelName)) {
			send(
				response,
				404,
				apiError(
					`The model \`${modelName}\` does not exist or you do not have access to it.`,
					'invalid_request_error',
					'model_not_found'
				)
			);
			return;
		}
		const format = body.response_format as
			{ type: string; json_schema?: { name?: string; schema?: JsonSchema } } | undefined;
		// As OpenAI does: structured output needs an object at the root.
		const rootType = format?.json_schema?.schema?.type;
		if (format?.type === 'json_schema' && rootType !== 'object') {
			send(
				response,
				400,
				apiError(
					`Invalid schema for response_format '${format.json_schema?.name ?? 'response'}': schema must be a JSON Schema of 'type: "object"', got 'type: "${String(rootType)}"'.`,
					'invalid_request_error',
					'invalid_json_schema'
				)
			);
			return;
		}
		const refused = threadProblem(thread);
		if (refused) {
			send(response, 400, apiError(refused, 'invalid_request_error', 'invalid_value'));
			return;
		}
		const behaviour = behaviourFor(request);
		stats.byBehaviour[behaviour] = (stats.byBehaviour[behaviour] ?? 0) + 1;
		if (behaviour === 'hang') {
			// Never answered; the client's timeout decides, and closes the connection.
			response.on('close', () => hangsClosed.push({ input, at: Date.now() }));
			return;
		}
		if (options.latencyMs > 0) await new Promise((r) => setTimeout(r, options.latencyMs));
		if (behaviour === '429') {
			send(response, 429, apiError('Rate limit reached.', 'requests', 'rate_limit_exceeded'), {
				'retry-after': String(Math.ceil(options.retryAfterMs / 1000)),
				'retry-after-ms': String(options.retryAfterMs)
			});
			return;
		}
		if (behaviour === '500') {
			send(response, 500, apiError('The server had an error.', 'server_error'));
			return;
		}
		const wantsJson = format?.type === 'json_schema' || format?.type === 'json_object';
		const system = messages.find((m) => m.role === 'system')?.content ?? '';
		let content: string;
		if (behaviour === 'malformed') {
			content = wantsJson ? '{"answer": "cut off' : '';
		} else if (behaviour === 'invalid') {
			content = wantsJson ? JSON.stringify({ unexpected: input }) : '';
		} else if (format?.json_schema?.name === 'preference') {
			content = JSON.stringify(preference(input));
		} else if (format?.json_schema?.name === 'judgment') {
			content = JSON.stringify(judgment(format.json_schema.schema!, input, system));
		} else if (wantsJson) {
			// A request about “a › quoted › subject” is answered about its last part.
			const subject = /“([^”]+)”/.exec(input)?.[1].split('›').pop()?.trim() ?? input;
			content = JSON.stringify(
				valueFor(format?.json_schema?.schema ?? { type: 'object' }, subject)
			);
		} else if (thread.at(-1)?.role === 'tool') {
			content = `Answer to: ${input}, from ${messages.at(-1)!.content}`;
		} else {
			content = `${options.answerOpenings[modelName] ?? ''}Answer to: ${input}`;
			if (options.variedSamples) {
				const take = (takes.get(`${modelName}\u0000${input}`) ?? 0) + 1;
				takes.set(`${modelName}\u0000${input}`, take);
				if (take > 1) content += `, take ${take}`;
			}
		}
		const tools = Array.isArray(body.tools) ? body.tools : [];
		const toolCalls =
			behaviour === 'ok' && tools.length > 0
				? toolTurn(tools, thread.at(-1) ?? {}, input, body.parallel_tool_calls, request.index)
				: null;
		if (system.includes('<reasoning>') && behaviour === 'ok') {
			content = `<reasoning>Working through: ${input.slice(0, 60)}</reasoning>\n${content}`;
		}
		const promptTokens = messages.reduce((sum, m) => sum + tokens(String(m.content)), 0);
		const completionTokens = tokens(content);
		const n = typeof body.n === 'number' ? body.n : 1;
		send(response, 200, {
			id: `chatcmpl-standin-${request.index}`,
			object: 'chat.completion',
			created: Math.floor(Date.now() / 1000),
			model: modelName,
			choices: Array.from({ length: n }, (_, index) => ({
				index,
				finish_reason: toolCalls ? 'tool_calls' : 'stop',
				logprobs: null,
				message: toolCalls
					? { role: 'assistant', content: null, tool_calls: toolCalls, refusal: null }
					: { role: 'assistant', content, refusal: null }
			})),
			usage: {
				prompt_tokens: promptTokens,
				completion_tokens: completionTokens * n,
				total_tokens: promptTokens + completionTokens * n
			}
		});
	}

	function trainedModel(name: string) {
		trained.add(name);
		return name;
	}

	/**
	 * A fine-tuning job moves through validating_files, queued and running to succeeded, a
	 * quarter of `fineTuneSeconds` each; a base model whose name contains "fail" fails while
	 * running.
	 */
	function fineTuneView(job: FineTuneJob) {
		const elapsed = (Date.now() - job.createdMs) / 1000 / options.fineTuneSeconds;
		const failing = job.model.includes('fail');
		const status =
			job.cancelledAt !== null
				? 'cancelled'
				: elapsed < 0.25
					? 'validating_files'
					: elapsed < 0.5
						? 'queued'
						: elapsed < 1
							? 'running'
							: failing
								? 'failed'
								: 'succeeded';
		return {
			object: 'fine_tuning.job',
			id: job.id,
			model: job.model,
			created_at: job.created_at,
			finished_at:
				status === 'succeeded' || status === 'failed' ? Math.floor(Date.now() / 1000) : null,
			fine_tuned_model:
				status === 'succeeded'
					? trainedModel(`ft:${job.model}:standin:${job.suffix ?? 'model'}:${job.id}`)
					: null,
			organization_id: 'org-standin',
			result_files: [],
			status,
			validation_file: job.validation_file,
			training_file: job.training_file,
			hyperparameters: job.hyperparameters,
			trained_tokens: status === 'succeeded' ? 1000 : null,
			error:
				status === 'failed'
					? { code: 'training_failed', message: 'Training failed: the loss diverged.', param: null }
					: null,
			seed: 1,
			method: { type: job.method }
		};
	}

	/** The events a job has reached, oldest first. */
	function eventsOf(job: FineTuneJob) {
		const view = fineTuneView(job);
		const messages: Record<string, string> = {
			validating_files: 'Validating training file',
			queued: 'Fine-tuning job queued',
			running: 'Fine-tuning job started',
			succeeded: 'The job has successfully completed',
			failed: 'Training failed: the loss diverged.',
			cancelled: 'The job was cancelled'
		};
		const order = ['validating_files', 'queued', 'running'];
		const at = order.indexOf(view.status);
		const steps = at === -1 ? [...order, view.status] : order.slice(0, at + 1);
		return steps.map((step, i) => ({
			object: 'fine_tuning.job.event',
			id: `${job.id}-event-${i + 1}`,
			created_at: job.created_at + i,
			level: step === 'failed' ? 'error' : 'info',
			message: messages[step],
			type: 'message'
		}));
	}

	// Together AI's fine-tuning, as its official client uses it: a file is announced with a form
	// post, answered by a redirect to where its bytes are PUT; fine-tunes live under /fine-tunes.
	const togetherFiles = new Map<string, { filename: string; content: string | null }>();
	const togetherJobs = new Map<string, FineTuneJob>();

	function togetherView(job: FineTuneJob) {
		const openAi = fineTuneView(job);
		const status = {
			validating_files: 'pending',
			queued: 'queued',
			running: 'running',
			succeeded: 'completed',
			failed: 'error',
			cancelled: 'cancelled'
		}[openAi.status]!;
		const events = eventsOf(job).map((e) => ({
			object: 'fine-tune-event',
			created_at: new Date(e.created_at * 1000).toISOString(),
			message: e.message,
			type: 'message',
			level: e.level
		}));
		return {
			id: job.id,
			status,
			user_id: 'standin',
			model: job.model,
			model_output_name:
				status === 'completed'
					? trainedModel(`standin/${job.model}-${job.suffix ?? 'lora'}-${job.id}`)
					: undefined,
			training_file: job.training_file,
			validation_file: job.validation_file ?? undefined,
			from_checkpoint: job.fromCheckpoint ?? undefined,
			created_at: new Date(job.createdMs).toISOString(),
			events
		};
	}

	async function together(request: IncomingMessage, response: ServerResponse, path: string) {
		const contentType = request.headers['content-type'] ?? '';
		if (
			request.method === 'POST' &&
			path === '/files' &&
			contentType.startsWith('application/x-www-form-urlencoded')
		) {
			if (options.uploadOutages > 0) {
				options.uploadOutages--;
				response.writeHead(503, { 'content-type': 'text/plain' });
				response.end('Service temporarily unavailable.');
				return true;
			}
			const form = new URLSearchParams(String((await bodyText(request)) || ''));
			const id = `file-together-${togetherFiles.size + 1}`;
			togetherFiles.set(id, { filename: form.get('file_name') ?? 'upload.jsonl', content: null });
			response.writeHead(302, {
				location: `http://127.0.0.1:${ownPort()}/_together_upload/${id}`,
				'x-together-file-id': id
			});
			response.end();
			return true;
		}
		const put = /^\/_together_upload\/(.+)$/.exec(new URL(request.url ?? '/', 'http://x').pathname);
		if (request.method === 'PUT' && put) {
			const file = togetherFiles.get(put[1]);
			const content = await bodyText(request);
			if (!file || options.refuseFiles) {
				response.writeHead(400, { 'content-type': 'text/plain' });
				response.end('Invalid file format.');
				return true;
			}
			file.content = content;
			uploads.push({ filename: file.filename, content });
			response.writeHead(200);
			response.end();
			return true;
		}
		const fileInfo = /^\/files\/(file-together-[^/]+)$/.exec(path);
		if (request.method === 'GET' && fileInfo) {
			const file = togetherFiles.get(fileInfo[1]);
			if (!file) return (send(response, 404, apiError('No such file.', 'not_found')), true);
			send(response, 200, {
				id: fileInfo[1],
				object: 'file',
				bytes: file.content?.length ?? 0,
				created_at: Math.floor(Date.now() / 1000),
				filename: file.filename,
				FileType: 'jsonl',
				Processed: true,
				purpose: 'fine-tune',
				LineCount: file.content?.split('\n').filter(Boolean).length ?? 0
			});
			return true;
		}
		if (request.method === 'GET' && path === '/fine-tunes') {
			send(response, 200, { data: [...togetherJobs.values()].reverse().map(togetherView) });
			return true;
		}
		if (request.method === 'POST' && path === '/fine-tunes') {
			const body = JSON.parse((await bodyText(request)) || '{}') as Record<string, unknown>;
			const trainingFile = String(body.training_file ?? '');
			if (!togetherFiles.get(trainingFile)?.content) {
				send(response, 400, apiError(`No uploaded file ${trainingFile}.`, 'invalid_request_error'));
				return true;
			}
			if (String(body.model ?? '').startsWith('unknown')) {
				send(
					response,
					400,
					apiError(
						`The model ${String(body.model)} is not available for fine-tuning.`,
						'invalid_request_error'
					)
				);
				return true;
			}
			// A checkpoint is a job id or its model's name, optionally with :step.
			const checkpoint = body.from_checkpoint as string | undefined;
			if (checkpoint !== undefined) {
				const named = checkpoint.replace(/:\d+$/, '');
				const known = [...togetherJobs.values()].some(
					(j) => j.id === named || togetherView(j).model_output_name === named
				);
				if (!known) {
					send(
						response,
						400,
						apiError(`Checkpoint ${checkpoint} was not found.`, 'invalid_request_error')
					);
					return true;
				}
			}
			const id = `ft-together-${togetherJobs.size + 1}`;
			const trainingMethod = (body.training_method as { method?: string } | undefined)?.method;
			const job = newFineTuneJob(
				id,
				body,
				{ n_epochs: body.n_epochs, batch_size: body.batch_size },
				trainingMethod === 'dpo' ? 'dpo' : 'supervised'
			);
			job.fromCheckpoint = checkpoint ?? null;
			togetherJobs.set(id, job);
			stats.fineTuneJobs++;
			if (job.method === 'dpo') stats.dpoJobs++;
			send(response, 200, togetherView(job));
			return true;
		}
		const tune = /^\/fine-tunes\/([^/]+)(\/events|\/cancel)?$/.exec(path);
		if (tune) {
			const job = togetherJobs.get(tune[1]);
			if (!job) return (send(response, 404, apiError('No such fine-tune.', 'not_found')), true);
			if (tune[2] === '/cancel' && request.method === 'POST') {
				job.cancelledAt ??= Date.now();
				send(response, 200, togetherView(job));
			} else if (tune[2] === '/events') {
				send(response, 200, { data: togetherView(job).events });
			} else {
				send(response, 200, togetherView(job));
			}
			return true;
		}
		return false;
	}

	const fireworks = fireworksStandin({
		account: () => options.fireworksAccount,
		fineTuneSeconds: () => options.fineTuneSeconds,
		refuseFiles: () => options.refuseFiles,
		takeOutage: () => options.uploadOutages > 0 && options.uploadOutages-- > 0,
		port: () => ownPort(),
		onUpload: (filename, content) => uploads.push({ filename, content }),
		onJob: (dpo) => {
			stats.fineTuneJobs++;
			if (dpo) stats.dpoJobs++;
		},
		serve: (model) => trained.add(model)
	});

	const hub = hubStandin({
		user: () => options.hubUser,
		fineTuneSeconds: () => options.fineTuneSeconds,
		refuseFiles: () => options.refuseFiles,
		takeOutage: () => options.uploadOutages > 0 && options.uploadOutages-- > 0,
		onUpload: (filename, content) => uploads.push({ filename, content }),
		onJob: () => stats.fineTuneJobs++
	});

	async function route(request: IncomingMessage, response: ServerResponse) {
		const url = new URL(request.url ?? '/', 'http://standin');
		// Fireworks serves chat under /inference/v1 and its fine-tuning API under /v1.
		const path = url.pathname.replace(/^\/(inference\/)?v1/, '');
		// A signed upload URL carries its own authority, and no key.
		if (
			path.startsWith('/_fireworks_upload/') &&
			(await fireworks.route(request, response, path))
		) {
			return;
		}
		if (options.apiKey && request.headers.authorization !== `Bearer ${options.apiKey}`) {
			const sent = request.headers.authorization ?? '';
			const key = sent.replace(/^Bearer /, '');
			const quoted = options.echoKey
				? ` You sent "${sent}" (${key.slice(0, 5)}***${key.slice(-3)}).`
				: '';
			send(
				response,
				401,
				apiError(`Incorrect API key provided.${quoted}`, 'invalid_request_error', 'invalid_api_key')
			);
			return;
		}
		const togetherRoute = await together(request, response, path);
		if (togetherRoute) return;
		if (await fireworks.route(request, response, path)) return;
		if (await hub.route(request, response, path)) return;
		if (request.method === 'GET' && path === '/models') {
			send(response, 200, {
				object: 'list',
				data: options.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'standin' }))
			});
			return;
		}
		if (request.method === 'POST' && path === '/chat/completions') {
			let body: Record<string, unknown>;
			try {
				body = (await bodyOf(request)) as Record<string, unknown>;
			} catch {
				send(response, 400, apiError('The body is not JSON.', 'invalid_request_error'));
				return;
			}
			await chat(body, response);
			return;
		}
		if (request.method === 'POST' && path === '/files') {
			const chunks: Buffer[] = [];
			for await (const chunk of request) chunks.push(chunk as Buffer);
			const upload = multipartOf(Buffer.concat(chunks), request.headers['content-type'] ?? '');
			if (options.uploadOutages > 0) {
				options.uploadOutages--;
				send(response, 503, apiError('Service temporarily unavailable.', 'server_error'));
				return;
			}
			if (!upload.file) {
				send(response, 400, apiError('No file in the upload.', 'invalid_request_error'));
				return;
			}
			// As OpenAI does for fine-tuning files: every line a JSON object with messages.
			const bad = upload.file.content
				.split('\n')
				.filter(Boolean)
				.findIndex((line) => {
					try {
						const example = JSON.parse(line);
						// A chat example, or a preference pair as OpenAI's DPO takes it.
						const pair =
							Array.isArray(example.input?.messages) &&
							Array.isArray(example.preferred_output) &&
							Array.isArray(example.non_preferred_output);
						return !Array.isArray(example.messages) && !pair;
					} catch {
						return true;
					}
				});
			if (options.refuseFiles || (upload.fields.purpose === 'fine-tune' && bad !== -1)) {
				send(
					response,
					400,
					apiError(
						bad === -1
							? 'Invalid file format for fine-tuning.'
							: `Invalid file format for fine-tuning: line ${bad + 1} is not a chat example.`,
						'invalid_request_error',
						'invalid_file_format'
					)
				);
				return;
			}
			const id = `file-standin-${files.size + 1}`;
			const file = {
				id,
				bytes: upload.file.content.length,
				filename: upload.file.filename,
				purpose: upload.fields.purpose ?? 'fine-tune'
			};
			if (options.uploadDelayMs > 0) {
				await new Promise((resolve) => setTimeout(resolve, options.uploadDelayMs));
			}
			files.set(id, file);
			uploads.push({ filename: file.filename, content: upload.file.content });
			send(response, 200, {
				object: 'file',
				created_at: Math.floor(Date.now() / 1000),
				status: 'processed',
				...file
			});
			return;
		}
		if (request.method === 'GET' && path === '/fine_tuning/jobs') {
			// Newest first, as OpenAI lists them; one page holds them all here.
			const data = [...fineTunes.values()].reverse().map(fineTuneView);
			send(response, 200, { object: 'list', data, has_more: false });
			return;
		}
		if (request.method === 'POST' && path === '/fine_tuning/jobs') {
			const body = (await bodyOf(request)) as Record<string, unknown>;
			const trainingFile = String(body.training_file ?? '');
			if (!files.has(trainingFile)) {
				send(
					response,
					400,
					apiError(`No file with id ${trainingFile}.`, 'invalid_request_error', 'file_not_found')
				);
				return;
			}
			if (String(body.model ?? '').startsWith('unknown')) {
				send(
					response,
					400,
					apiError(
						`Model ${String(body.model)} is not available for fine-tuning or does not exist.`,
						'invalid_request_error',
						'model_not_available'
					)
				);
				return;
			}
			const id = `ftjob-standin-${fineTunes.size + 1}`;
			const method = body.method as
				| {
						type?: string;
						supervised?: { hyperparameters?: object };
						dpo?: { hyperparameters?: object };
				  }
				| undefined;
			const type = method?.type === 'dpo' ? 'dpo' : 'supervised';
			const job = newFineTuneJob(
				id,
				body,
				{ ...((type === 'dpo' ? method?.dpo : method?.supervised)?.hyperparameters ?? {}) },
				type
			);
			fineTunes.set(id, job);
			stats.fineTuneJobs++;
			if (type === 'dpo') stats.dpoJobs++;
			send(response, 200, fineTuneView(job));
			return;
		}
		const fineTune = /^\/fine_tuning\/jobs\/([^/]+)(\/events|\/cancel)?$/.exec(path);
		if (fineTune) {
			const job = fineTunes.get(fineTune[1]);
			if (!job) {
				send(response, 404, apiError('No such fine-tuning job.', 'invalid_request_error'));
				return;
			}
			if (fineTune[2] === '/cancel' && request.method === 'POST') {
				job.cancelledAt ??= Date.now();
				send(response, 200, fineTuneView(job));
				return;
			}
			if (fineTune[2] === '/events') {
				send(response, 200, { object: 'list', has_more: false, data: eventsOf(job).reverse() });
				return;
			}
			send(response, 200, fineTuneView(job));
			return;
		}
		send(response, 404, apiError(`No route ${request.method} ${url.pathname}.`, 'not_found'));
	}

	ownPort = () => (server.address() as AddressInfo).port;
	const server = createServer((request, response) => {
		stats.requests++;
		inFlight++;
		stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
		// A call is over once its answer is sent ('finish'), or when its client went away.
		let over = false;
		const end = () => {
			if (over) return;
			over = true;
			inFlight--;
		};
		response.once('finish', end);
		response.once('close', end);
		route(request, response).catch((e) => {
			if (!response.headersSent) send(response, 500, apiError(String(e), 'server_error'));
		});
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	const actualPort = (server.address() as AddressInfo).port;
	return {
		url: `http://127.0.0.1:${actualPort}/v1`,
		port: actualPort,
		options,
		set(next) {
			Object.assign(options, next);
			if (next.seed !== undefined) random = mulberry32(next.seed);
		},
		stats,
		fireworks: fireworks.stats,
		hub: hub.stats,
		uploads,
		systemPrompts,
		chatCalls,
		hangsClosed,
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			})
	};
}
