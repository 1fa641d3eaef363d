import type { Db } from './db';
import type { Project } from './db/schema';
import {
	buildPrompt,
	completionRequest,
	EMPTY_OUTPUT,
	messagesFor,
	parseAnswer,
	usageOf,
	type PromptOptions,
	type Sampling
} from './jobs/prompt';
import { modelClient, modelLabel } from './providers';
import { describeProviderError } from './providers/errors';
import type { SecretKey } from './secrets';

// The playground: a few models asked about one input, with the project's prompt built as a
// distillation job builds it, so an admin sees what a job would get before starting one.
// Nothing is stored; each model's answer or failure comes back on its own.

export type PlaygroundSettings = Sampling & PromptOptions;

/** What the prompt sends before the input: the system message and the few-shot turns. */
export type PromptPreview = { system: string; examples: { input: string; output: string }[] };

type Outcome = {
	modelId: number;
	/** The model and its provider, as the pages where a model is chosen name it. */
	label: string;
	latencyMs: number;
};

export type PlaygroundResult =
	| (Outcome & {
			ok: true;
			output: string;
			reasoning: string | null;
			schemaValid: boolean | null;
			schemaErrors: string | null;
			inputTokens: number;
			outputTokens: number;
			cost: number;
	  })
	| (Outcome & { ok: false; error: string });

/** Someone waits for these calls: a timeout shorter than a job's, and the client retries twice. */
const CALL_OPTIONS = { timeoutMs: 60_000, maxRetries: 2 };

export async function promptPreview(
	db: Db,
	target: Project,
	options: Pick<PlaygroundSettings, 'fewShot' | 'reasoning'>
): Promise<PromptPreview> {
	const prompt = await buildPrompt(db, target, options);
	// The turns exactly as sent: a JSON answer with reasoning travels in its wrapper.
	const turns = messagesFor(prompt, '').slice(1, -1);
	const examples: PromptPreview['examples'] = [];
	for (let i = 0; i + 1 < turns.length; i += 2) {
		examples.push({ input: turns[i].content, output: turns[i + 1].content });
	}
	return { system: prompt.system, examples };
}

/** Asks every chosen model at once; one model's failure never hides another's answer. */
export async function tryModels(
	db: Db,
	key: SecretKey,
	target: Project,
	modelIds: number[],
	input: string,
	settings: PlaygroundSettings,
	now: () => number = Date.now
): Promise<PlaygroundResult[]> {
	const prompt = await buildPrompt(db, target, settings);
	return Promise.all(
		modelIds.map(async (modelId): Promise<PlaygroundResult> => {
			const call = await modelClient(db, key, modelId, CALL_OPTIONS);
			if (!call) {
				return {
					modelId,
					label: `Model ${modelId}`,
					latencyMs: 0,
					ok: false,
					error: 'This model was removed; reload the page.'
				};
			}
			const label = modelLabel(call.model.name, call.provider.name);
			const started = now();
			try {
				const completion = await call.client.chat.completions.create(
					completionRequest(prompt, call.model.name, input, settings)
				);
				const latencyMs = now() - started;
				const parsed = parseAnswer(prompt, input, completion);
				if (parsed === null) {
					return { modelId, label, latencyMs, ok: false, error: EMPTY_OUTPUT };
				}
				return {
					modelId,
					label,
					latencyMs,
					ok: true,
					...parsed,
					...usageOf(completion, call.model)
				};
			} catch (e) {
				return {
					modelId,
					label,
					latencyMs: now() - started,
					ok: false,
					error: describeProviderError(e, call.provider.baseUrl)
				};
			}
		})
	);
}
