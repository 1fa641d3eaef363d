import { createHash, randomBytes } from 'node:crypto';
import type { FineTune } from '../db/schema';
import { ProviderHttpError, providerMessage } from '../providers/errors';
import { redactingFetch } from '../providers/redact';
import type { FineTuneAdapter, ProviderEvent, ProviderStatus } from './adapter';
import { TRL_SCRIPT_NAME, TRL_SFT_SCRIPT } from './trlScript';

// The own-GPU path on a rented GPU: Hugging Face Jobs runs the bundle's TRL script. The files
// go to a private dataset repository of the token's owner (with the script), which the job
// mounts at /data; the job trains a LoRA adapter and pushes it to a private model repository
// named before it starts. Hugging Face does not serve that adapter by itself: the fine-tune
// succeeds with the repository recorded, and the team registers the URL they serve it at
// (vLLM with --enable-lora, or an Inference Endpoint) on the fine-tune's page.

/** What the Hub's commit API takes inline; larger files need Git LFS, which is not sent here. */
export const HF_INLINE_LIMIT_BYTES = 10 * 1024 * 1024;

/** The image `hf jobs uv run` uses: uv installs what the script's header lists. */
const UV_IMAGE = 'ghcr.io/astral-sh/uv:python3.12-bookworm';

const STAGES: Record<string, FineTune['status']> = {
	SCHEDULING: 'queued',
	RUNNING: 'running',
	UPDATING: 'running',
	COMPLETED: 'succeeded',
	ERROR: 'failed',
	CANCELED: 'cancelled',
	DELETED: 'cancelled'
};

type HfJob = {
	id: string;
	status?: { stage?: string; message?: string | null };
	labels?: Record<string, string>;
	createdAt?: string;
	startedAt?: string | null;
	finishedAt?: string | null;
};

/** A file's id: the repository and the path in it. */
function fileOf(id: string): { repo: string; path: string } {
	const [repo, path] = id.split('::');
	return { repo, path };
}

/** The label that finds a job again by the training file it was made from. */
function fileLabel(trainingFileId: string): string {
	return createHash('sha256').update(trainingFileId).digest('hex').slice(0, 32);
}

export function hfJobsAdapter(token: string, baseUrl: string): FineTuneAdapter {
	const send = redactingFetch(token);
	const api = `${new URL(baseUrl).origin}/api`;
	let owner: string | null = null;

	async function call<T>(method: string, path: string, body?: unknown, type?: string): Promise<T> {
		const response = await send(`${api}/${path}`, {
			method,
			headers: {
				authorization: `Bearer ${token}`,
				...(body === undefined ? {} : { 'content-type': type ?? 'application/json' })
			},
			...(body === undefined
				? {}
				: { body: typeof body === 'string' ? body : JSON.stringify(body) })
		});
		if (!response.ok) {
			const message = providerMessage(await response.text());
			throw new ProviderHttpError(response.status, message, response.headers);
		}
		return (await response.json()) as T;
	}

	/** The token's owner: where the files, the jobs and the trained adapter live. */
	async function namespace(): Promise<string> {
		owner ??= (await call<{ name: string }>('GET', 'whoami-v2')).name;
		return owner;
	}

	async function stageOf(jobId: string): Promise<HfJob> {
		return await call<HfJob>('GET', `jobs/${jobId}`);
	}

	function pushedTo(job: HfJob, ns: string): string | null {
		const name = job.labels?.winnow_output;
		return name ? `${ns}/${name}` : null;
	}

	return {
		async upload(name, lines) {
			let text = '';
			for await (const line of lines) text += line;
			const bytes = Buffer.byteLength(text);
			if (bytes > HF_INLINE_LIMIT_BYTES) {
				throw new ProviderHttpError(
					413,
					`${name} is ${(bytes / 1024 / 1024).toFixed(1)} MB; Winnow sends files of up to 10 MB to Hugging Face (larger ones need Git LFS). Train on your own GPUs with the bundle, or use another service.`
				);
			}
			const ns = await namespace();
			const repo = `winnow-${name.replace(/-(train|val)(-dpo)?\.jsonl$/, '').replace(/[^a-zA-Z0-9-]+/g, '-')}`;
			try {
				await call('POST', 'repos/create', {
					name: repo,
					organization: ns,
					type: 'dataset',
					private: true,
					visibility: 'private'
				});
			} catch (e) {
				// Made by an earlier upload of the same dataset.
				if (!(e instanceof ProviderHttpError && e.status === 409)) throw e;
			}
			const lineOf = (path: string, content: string) =>
				JSON.stringify({
					key: 'file',
					value: { path, content: Buffer.from(content).toString('base64'), encoding: 'base64' }
				});
			const commit = [
				JSON.stringify({ key: 'header', value: { summary: `Upload ${name} from Winnow` } }),
				lineOf(name, text),
				lineOf(TRL_SCRIPT_NAME, TRL_SFT_SCRIPT)
			].join('\n');
			await call('POST', `datasets/${ns}/${repo}/commit/main`, commit, 'application/x-ndjson');
			return `${ns}/${repo}::${name}`;
		},
		async create(spec) {
			if (spec.method === 'dpo') {
				throw new Error(
					'Hugging Face Jobs runs supervised training (TRL) here; choose another service for preference training.'
				);
			}
			const ns = await namespace();
			const h = spec.hyperparameters;
			const train = fileOf(spec.trainingFileId);
			const slug = (spec.suffix ?? 'student').toLowerCase().replace(/[^a-z0-9-]+/g, '-');
			const output = `winnow-${slug}-${randomBytes(3).toString('hex')}`;
			const job = await call<HfJob>('POST', `jobs/${ns}`, {
				dockerImage: UV_IMAGE,
				command: [
					'uv',
					'run',
					`/data/${TRL_SCRIPT_NAME}`,
					'--train',
					`/data/${train.path}`,
					...(spec.validationFileId
						? ['--val', `/data/${fileOf(spec.validationFileId).path}`]
						: []),
					'--base-model',
					spec.baseModel,
					'--hub-model-id',
					`${ns}/${output}`,
					...(h.epochs ? ['--epochs', String(h.epochs)] : []),
					...(h.learningRate ? ['--learning-rate', String(h.learningRate)] : []),
					...(h.loraRank ? ['--lora-rank', String(h.loraRank)] : []),
					...(h.batchSize ? ['--batch-size', String(h.batchSize)] : []),
					...(h.maxContextLength ? ['--max-length', String(h.maxContextLength)] : [])
				],
				arguments: [],
				environment: {},
				secrets: { HF_TOKEN: token },
				flavor: h.flavor ?? 'a10g-large',
				timeoutSeconds: Math.round((h.timeoutHours ?? 4) * 3600),
				labels: { winnow_file: fileLabel(spec.trainingFileId), winnow_output: output },
				volumes: [{ type: 'dataset', source: train.repo, mountPath: '/data', readOnly: true }]
			});
			return `${ns}/${job.id}`;
		},
		async findByTrainingFile(trainingFileId) {
			const ns = await namespace();
			const jobs = await call<HfJob[]>('GET', `jobs/${ns}`);
			const made = jobs.find((j) => j.labels?.winnow_file === fileLabel(trainingFileId));
			return made ? `${ns}/${made.id}` : null;
		},
		async status(jobId): Promise<ProviderStatus> {
			const job = await stageOf(jobId);
			const status = STAGES[job.status?.stage ?? ''] ?? 'running';
			return {
				status,
				// Not served by Hugging Face: registered by the URL the team serves it at.
				resultModel: null,
				pushedTo: status === 'succeeded' ? pushedTo(job, jobId.split('/')[0]) : null,
				error:
					status === 'failed'
						? job.status?.message || `The job ended in ${job.status?.stage}.`
						: null
			};
		},
		async events(jobId): Promise<ProviderEvent[]> {
			const job = await stageOf(jobId);
			const stage = job.status?.stage ?? 'UNKNOWN';
			const at = new Date(job.finishedAt ?? job.startedAt ?? job.createdAt ?? Date.now());
			const events: ProviderEvent[] = [
				{
					externalId: `stage:${stage}`,
					level: stage === 'ERROR' ? 'error' : 'info',
					message: `Hugging Face Jobs: ${stage}${job.status?.message ? ` (${job.status.message})` : ''}`,
					createdAt: at
				}
			];
			const repo = pushedTo(job, jobId.split('/')[0]);
			if (stage === 'COMPLETED' && repo) {
				events.push({
					externalId: `pushed:${repo}`,
					level: 'info',
					message: `Pushed the adapter to https://huggingface.co/${repo}: serve it, then register its URL here`,
					createdAt: at
				});
			}
			return events;
		},
		async cancel(jobId) {
			await call('POST', `jobs/${jobId}/cancel`);
		}
	};
}
