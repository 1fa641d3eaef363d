import { Together } from 'together-ai';
import type { FineTune } from '../db/schema';
import type { FineTuneAdapter } from './adapter';
import { ProviderHttpError } from '../providers/errors';
import { redactingFetch } from '../providers/redact';

// Together AI's fine-tuning (LoRA) through its official client. One step is done by hand: the
// client's own upload helper cannot run here (its ES module build calls require, its requests
// send a file stream without the duplex option Node's fetch demands, and it reads the API
// address from the environment rather than the client). So the file is announced and PUT as
// Together's upload protocol asks, and the client takes over from there.

const TOGETHER_STATUS: Record<string, FineTune['status']> = {
	pending: 'validating',
	queued: 'queued',
	running: 'running',
	compressing: 'running',
	uploading: 'running',
	cancel_requested: 'cancelled',
	cancelled: 'cancelled',
	error: 'failed',
	completed: 'succeeded'
};

export function togetherAdapter(apiKey: string, baseURL: string): FineTuneAdapter {
	const send = redactingFetch(apiKey);
	const client = new Together({ apiKey, baseURL, maxRetries: 0, timeout: 300_000, fetch: send });
	return {
		async upload(name, lines) {
			let text = '';
			for await (const line of lines) text += line;
			const announce = await send(`${baseURL}/files`, {
				method: 'POST',
				headers: {
					'content-type': 'application/x-www-form-urlencoded',
					authorization: `Bearer ${apiKey}`
				},
				body: new URLSearchParams({ file_name: name, file_type: 'jsonl', purpose: 'fine-tune' }),
				redirect: 'manual'
			});
			const target = announce.headers.get('location');
			const fileId = announce.headers.get('x-together-file-id');
			if (announce.status !== 302 || !target || !fileId) {
				throw new ProviderHttpError(announce.status, await announce.text(), announce.headers);
			}
			const put = await send(target, {
				method: 'PUT',
				headers: { 'content-type': 'application/octet-stream' },
				body: Buffer.from(text, 'utf8')
			});
			if (put.status !== 200) {
				throw new ProviderHttpError(put.status, await put.text(), put.headers);
			}
			return (await client.files.retrieve(fileId)).id;
		},
		async create(spec) {
			const h = spec.hyperparameters;
			const job = await client.fineTuning.create({
				model: spec.baseModel,
				training_file: spec.trainingFileId,
				...(spec.validationFileId ? { validation_file: spec.validationFileId, n_evals: 1 } : {}),
				...(spec.suffix ? { suffix: spec.suffix } : {}),
				...(h.epochs ? { n_epochs: h.epochs } : {}),
				...(h.batchSize ? { batch_size: h.batchSize } : {}),
				...(h.learningRate ? { learning_rate: h.learningRate } : {}),
				...(h.fromCheckpoint ? { from_checkpoint: h.fromCheckpoint } : {}),
				...(spec.method === 'dpo'
					? { training_method: { method: 'dpo', ...(h.beta ? { dpo_beta: h.beta } : {}) } }
					: {}),
				training_type: {
					type: 'Lora',
					lora_r: h.loraRank ?? 16,
					lora_alpha: 2 * (h.loraRank ?? 16)
				}
			});
			return job.id;
		},
		async findByTrainingFile(trainingFileId) {
			const listed = await client.fineTuning.list();
			return listed.data.find((job) => job.training_file === trainingFileId)?.id ?? null;
		},
		async status(jobId) {
			const job = await client.fineTuning.retrieve(jobId);
			const failed = job.status === 'error';
			return {
				status: TOGETHER_STATUS[job.status] ?? 'running',
				resultModel: job.status === 'completed' ? (job.model_output_name ?? null) : null,
				error: failed
					? ((job.events ?? []).findLast((e) => e.level === 'error')?.message ?? 'The job failed.')
					: null
			};
		},
		async events(jobId) {
			const page = await client.fineTuning.listEvents(jobId);
			return page.data.map((e, i) => ({
				// Together's events carry no id: their time and place in the list stand for one.
				externalId: `${e.created_at}#${i}`,
				level: e.level ?? 'info',
				message: e.message,
				createdAt: new Date(e.created_at)
			}));
		},
		async cancel(jobId) {
			await client.fineTuning.cancel(jobId);
		}
	};
}
