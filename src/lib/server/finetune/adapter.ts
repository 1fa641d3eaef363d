import OpenAI, { toStreamingFile } from 'openai';
import type { FineTune } from '../db/schema';
import { dayOf, OPENAI_FINE_TUNING_ENDS, OPENAI_FINE_TUNING_NOTICE } from './retirement';

// One interface for every way of fine-tuning: upload the files, start the job, follow its
// status and events, cancel it, and name the model it made. The OpenAI adapter serves OpenAI
// and Azure OpenAI, which share the fine-tuning API.

export type ProviderStatus = {
	status: FineTune['status'];
	/** The provider's name of the fine-tuned model, once there is one. */
	resultModel: string | null;
	/** Where a job pushed what it trained, when the provider does not serve it (HF Jobs). */
	pushedTo?: string | null;
	error: string | null;
};

export type ProviderEvent = { externalId: string; level: string; message: string; createdAt: Date };

export type Hyperparameters = {
	epochs: number | null;
	batchSize: number | null;
	learningRateMultiplier: number | null;
	/** Together and Fireworks: the learning rate itself. */
	learningRate?: number | null;
	/** Together and Fireworks: the LoRA adapter's rank. */
	loraRank?: number | null;
	/** Fireworks and Hugging Face Jobs: the longest example, in tokens, it trains on. */
	maxContextLength?: number | null;
	/** Preference training: how far the student may move from the base model. */
	beta?: number | null;
	/** Hugging Face Jobs: the hardware rented, and the longest the job may run. */
	flavor?: string | null;
	timeoutHours?: number | null;
	/** Together: an earlier job (or its model) to continue training from, such as SFT before DPO. */
	fromCheckpoint?: string | null;
};

export interface FineTuneAdapter {
	upload(name: string, lines: AsyncIterable<string> | Iterable<string>): Promise<string>;
	create(spec: {
		/** Supervised on the files' chat examples, or DPO on their preference pairs. */
		method: FineTune['method'];
		baseModel: string;
		trainingFileId: string;
		validationFileId: string | null;
		suffix: string | null;
		hyperparameters: Hyperparameters;
	}): Promise<string>;
	/**
	 * The provider's job made from this training file, if there is one: a launch cut short
	 * between creating the job and saving its id finds it again instead of paying twice.
	 */
	findByTrainingFile(trainingFileId: string): Promise<string | null>;
	status(jobId: string): Promise<ProviderStatus>;
	events(jobId: string): Promise<ProviderEvent[]>;
	cancel(jobId: string): Promise<void>;
}

const OPENAI_STATUS: Record<string, FineTune['status']> = {
	validating_files: 'validating',
	queued: 'queued',
	running: 'running',
	succeeded: 'succeeded',
	failed: 'failed',
	cancelled: 'cancelled'
};

/** Whether the base URL is OpenAI's own API (Azure OpenAI shares the protocol, not its end). */
export function isOpenAiItself(baseUrl: string): boolean {
	try {
		return new URL(baseUrl).hostname === 'api.openai.com';
	} catch {
		return false;
	}
}

export const OPENAI_FINE_TUNING_ENDED = `OpenAI takes no new fine-tuning jobs since ${dayOf(OPENAI_FINE_TUNING_ENDS)} (${OPENAI_FINE_TUNING_NOTICE}): fine-tune on Together or Fireworks, or on your own GPUs with the bundle.`;

/** OpenAI's fine-tuning API; on OpenAI itself it starts no job after its fine-tuning ended. */
export function openAiAdapter(client: OpenAI, now: () => Date = () => new Date()): FineTuneAdapter {
	return {
		async upload(name, lines) {
			const encoder = new TextEncoder();
			async function* bytes() {
				for await (const line of lines) yield encoder.encode(line);
			}
			const file = await client.files.create({
				file: toStreamingFile(bytes(), name, { type: 'application/jsonl' }),
				purpose: 'fine-tune'
			});
			return file.id;
		},
		async create(spec) {
			if (isOpenAiItself(client.baseURL) && now() >= OPENAI_FINE_TUNING_ENDS) {
				throw new Error(OPENAI_FINE_TUNING_ENDED);
			}
			const h = spec.hyperparameters;
			const hyperparameters = {
				...(h.epochs ? { n_epochs: h.epochs } : {}),
				...(h.batchSize ? { batch_size: h.batchSize } : {}),
				...(h.learningRateMultiplier ? { learning_rate_multiplier: h.learningRateMultiplier } : {})
			};
			const job = await client.fineTuning.jobs.create({
				model: spec.baseModel,
				training_file: spec.trainingFileId,
				...(spec.validationFileId ? { validation_file: spec.validationFileId } : {}),
				...(spec.suffix ? { suffix: spec.suffix } : {}),
				method:
					spec.method === 'dpo'
						? {
								type: 'dpo',
								dpo: {
									hyperparameters: { ...hyperparameters, ...(h.beta ? { beta: h.beta } : {}) }
								}
							}
						: { type: 'supervised', supervised: { hyperparameters } }
			});
			return job.id;
		},
		async findByTrainingFile(trainingFileId) {
			for await (const job of client.fineTuning.jobs.list({ limit: 100 })) {
				if (job.training_file === trainingFileId) return job.id;
			}
			return null;
		},
		async status(jobId) {
			const job = await client.fineTuning.jobs.retrieve(jobId);
			return {
				status: OPENAI_STATUS[job.status] ?? 'running',
				resultModel: job.fine_tuned_model ?? null,
				error: job.error?.message ?? null
			};
		},
		async events(jobId) {
			const page = await client.fineTuning.jobs.listEvents(jobId, { limit: 100 });
			return page.data.map((e) => ({
				externalId: e.id,
				level: e.level,
				message: e.message,
				createdAt: new Date(e.created_at * 1000)
			}));
		},
		async cancel(jobId) {
			await client.fineTuning.jobs.cancel(jobId);
		}
	};
}
