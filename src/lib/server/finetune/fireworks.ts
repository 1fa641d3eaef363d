import { randomBytes } from 'node:crypto';
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { FineTune } from '../db/schema';
import { ProviderHttpError, providerMessage } from '../providers/errors';
import { redactingFetch } from '../providers/redact';
import type { FineTuneAdapter, ProviderEvent, ProviderStatus } from './adapter';

// Fireworks AI's fine-tuning over its REST API (it has no JavaScript client). A file becomes a
// dataset: created with its example count, then uploaded in one request, or through a signed
// URL past Fireworks' limit for direct uploads, and waited on until it is READY. A supervised
// fine-tuning job trains a LoRA on it; its output model can only be served from a deployment
// of its own, so once training completes the model is deployed (scaling to zero when idle, as
// Kiln deploys it) and the fine-tune succeeds when that deployment is ready.
//
// The provider's base URL is the inference one (https://api.fireworks.ai/inference/v1), which
// every job, playground and evaluation uses; the fine-tuning API lives beside it at /v1.

/** Fireworks' limit for a dataset uploaded in one request; larger files go through a signed URL. */
export const DIRECT_UPLOAD_LIMIT_BYTES = 150 * 1024 * 1024;

/** How long an uploaded dataset may take to become READY before the launch is tried again. */
const DATASET_READY_TIMEOUT_MS = 5 * 60_000;

export type FireworksOptions = {
	/** Files larger than this go through a signed URL; tests lower it to use that path. */
	directUploadLimitBytes?: number;
	/** How often an uploaded dataset is asked whether it is ready. */
	readyPollMs?: number;
};

const JOB_STATUS: Record<string, FineTune['status']> = {
	JOB_STATE_CREATING: 'validating',
	JOB_STATE_VALIDATING: 'validating',
	JOB_STATE_CREATING_INPUT_DATASET: 'validating',
	JOB_STATE_PENDING: 'queued',
	JOB_STATE_IDLE: 'queued',
	JOB_STATE_RE_QUEUEING: 'queued',
	JOB_STATE_RUNNING: 'running',
	JOB_STATE_WRITING_RESULTS: 'running',
	JOB_STATE_PAUSED: 'running',
	JOB_STATE_COMPLETED: 'succeeded',
	JOB_STATE_EARLY_STOPPED: 'succeeded',
	JOB_STATE_FAILED: 'failed',
	JOB_STATE_EXPIRED: 'failed',
	JOB_STATE_CANCELLING: 'cancelled',
	JOB_STATE_CANCELLED: 'cancelled',
	JOB_STATE_DELETING: 'cancelled',
	JOB_STATE_DELETING_CLEANING_UP: 'cancelled'
};

const STATE_MESSAGES: Record<FineTune['status'], string> = {
	pending: 'Waiting',
	uploading: 'Uploading',
	validating: 'Fireworks is preparing the job',
	queued: 'The job is queued at Fireworks',
	running: 'Training',
	succeeded: 'Training completed',
	failed: 'Training failed',
	cancelled: 'The job was cancelled'
};

type FireworksJob = {
	name: string;
	state?: string;
	dataset?: string;
	outputModel?: string;
	/** A DPO job names its output model here. */
	trainingConfig?: { outputModel?: string };
	status?: { code?: string; message?: string };
	jobProgress?: { percent?: number };
	createTime?: string;
	updateTime?: string;
};

type Deployment = {
	name: string;
	baseModel?: string;
	state?: string;
	status?: { message?: string };
};

/**
 * A dataset id Fireworks accepts, from the file's name: 1–63 lowercase letters, digits and
 * hyphens, starting with a letter and not ending in a hyphen; a random tail keeps a second
 * upload of the same file from meeting the first.
 */
export function datasetIdFor(fileName: string, random = randomBytes(4).toString('hex')): string {
	const stem = fileName
		.toLowerCase()
		.replace(/\.jsonl$/, '')
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-+|-+$/g, '');
	return `winnow-${stem}`.slice(0, 63 - random.length - 1).replace(/-+$/, '') + `-${random}`;
}

/** A base model as Fireworks names it: a bare name is one of Fireworks' own models. */
export function fireworksModelName(baseModel: string): string {
	return baseModel.startsWith('accounts/') ? baseModel : `accounts/fireworks/models/${baseModel}`;
}

/** Fireworks' fine-tuning API beside its inference base URL. */
function controlPlaneOf(baseUrl: string): string {
	const trimmed = baseUrl.replace(/\/+$/, '');
	return /\/inference\/v1$/.test(trimmed)
		? trimmed.replace(/\/inference\/v1$/, '/v1')
		: `${new URL(trimmed).origin}/v1`;
}

export function fireworksAdapter(
	apiKey: string,
	baseUrl: string,
	accountId: string | null,
	options: FireworksOptions = {}
): FineTuneAdapter {
	const send = redactingFetch(apiKey);
	const api = controlPlaneOf(baseUrl);
	const account = `accounts/${accountId ?? ''}`;
	const limit = options.directUploadLimitBytes ?? DIRECT_UPLOAD_LIMIT_BYTES;
	const readyPollMs = options.readyPollMs ?? 1000;
	/** The job as last read, so that one round's status and events ask once. */
	let lastRead: { job: FireworksJob; at: number } | null = null;

	async function refused(response: Response): Promise<never> {
		const text = await response.text();
		let message = providerMessage(text);
		if (response.status === 401 || response.status === 403) {
			message = `Fireworks refused access to account “${accountId}”: check the account id and the API key${message ? ` (${message})` : ''}.`;
		}
		throw new ProviderHttpError(response.status, message, response.headers);
	}

	async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
		if (!accountId) {
			throw new ProviderHttpError(
				400,
				'This provider has no Fireworks account id: add one on the Providers page.'
			);
		}
		const response = await send(`${api}/${path}`, {
			method,
			headers: {
				authorization: `Bearer ${apiKey}`,
				...(body === undefined ? {} : { 'content-type': 'application/json' })
			},
			...(body === undefined ? {} : { body: JSON.stringify(body) })
		});
		if (!response.ok) return await refused(response);
		return (await response.json()) as T;
	}

	async function readJob(name: string): Promise<FireworksJob> {
		if (lastRead && lastRead.job.name === name && Date.now() - lastRead.at < 5000) {
			return lastRead.job;
		}
		const job = await call<FireworksJob>('GET', name);
		lastRead = { job, at: Date.now() };
		return job;
	}

	/** The deployment serving `model`, made (scaling to zero when idle) if there is none. */
	async function deploymentFor(model: string): Promise<Deployment> {
		let pageToken = '';
		do {
			const page = await call<{ deployments?: Deployment[]; nextPageToken?: string }>(
				'GET',
				`${account}/deployments?pageSize=200${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`
			);
			const serving = (page.deployments ?? []).find(
				(d) => d.baseModel === model && d.state !== 'DELETING' && d.state !== 'DELETED'
			);
			if (serving) return serving;
			pageToken = page.nextPageToken ?? '';
		} while (pageToken);
		return await call<Deployment>('POST', `${account}/deployments`, {
			displayName: `Winnow ${model.split('/').pop()}`.slice(0, 63),
			description: 'Deployed by Winnow to serve a fine-tuned student.',
			baseModel: model,
			minReplicaCount: 0,
			maxReplicaCount: 1,
			acceleratorType: 'NVIDIA_H100_80GB',
			autoscalingPolicy: {
				scaleUpWindow: '30s',
				scaleDownWindow: '300s',
				scaleToZeroWindow: '300s'
			}
		});
	}

	async function waitUntilReady(datasetName: string) {
		const giveUpAt = Date.now() + DATASET_READY_TIMEOUT_MS;
		for (;;) {
			const found = await call<{ state?: string; status?: { message?: string } }>(
				'GET',
				datasetName
			);
			if (found.state === 'READY') return;
			if (Date.now() > giveUpAt) {
				throw new ProviderHttpError(
					503,
					`The dataset ${datasetName} was not ready after ${DATASET_READY_TIMEOUT_MS / 60_000} minutes.`
				);
			}
			await new Promise((resolve) => setTimeout(resolve, readyPollMs));
		}
	}

	return {
		async upload(name, lines) {
			// Spooled to a file: Fireworks wants the example count first, and the size decides
			// the way up; the file is never held in memory whole.
			const dir = await mkdtemp(join(tmpdir(), 'winnow-fireworks-'));
			const path = join(dir, name);
			try {
				const out = createWriteStream(path);
				let examples = 0;
				for await (const line of lines) {
					if (line.trim() !== '') examples++;
					if (!out.write(line)) await once(out, 'drain');
				}
				out.end();
				await finished(out);
				const bytes = (await stat(path)).size;
				const datasetId = datasetIdFor(name);
				const datasetName = `${account}/datasets/${datasetId}`;
				await call('POST', `${account}/datasets`, {
					datasetId,
					dataset: {
						displayName: name.slice(0, 63),
						exampleCount: String(examples),
						userUploaded: {},
						format: 'CHAT'
					}
				});
				if (bytes <= limit) {
					const form = new FormData();
					form.append('file', await openAsBlob(path), name);
					const response = await send(`${api}/${datasetName}:upload`, {
						method: 'POST',
						headers: { authorization: `Bearer ${apiKey}` },
						body: form
					});
					if (!response.ok) await refused(response);
				} else {
					const endpoint = await call<{ filenameToSignedUrls?: Record<string, string> }>(
						'POST',
						`${datasetName}:getUploadEndpoint`,
						{ filenameToSize: { [name]: String(bytes) } }
					);
					const target = endpoint.filenameToSignedUrls?.[name];
					if (!target) {
						throw new ProviderHttpError(502, 'Fireworks gave no upload address for the file.');
					}
					// A signed URL carries its own authority: no key goes with it.
					const put = await fetch(target, {
						method: 'PUT',
						headers: {
							'content-type': 'application/octet-stream',
							'x-goog-content-length-range': `${bytes},${bytes}`
						},
						body: await openAsBlob(path)
					});
					if (!put.ok) await refused(put);
					await call('POST', `${datasetName}:validateUpload`, {});
				}
				await waitUntilReady(datasetName);
				return datasetName;
			} finally {
				await rm(dir, { recursive: true, force: true });
			}
		},
		async create(spec) {
			const h = spec.hyperparameters;
			const training = {
				baseModel: fireworksModelName(spec.baseModel),
				...(h.epochs ? { epochs: h.epochs } : {}),
				...(h.batchSize ? { batchSizeSamples: h.batchSize } : {}),
				...(h.learningRate ? { learningRate: h.learningRate } : {}),
				loraRank: h.loraRank ?? 8,
				...(h.maxContextLength ? { maxContextLength: h.maxContextLength } : {})
			};
			const common = {
				dataset: spec.trainingFileId,
				...(spec.suffix ? { displayName: spec.suffix } : {}),
				...(spec.validationFileId ? { evaluationDataset: spec.validationFileId } : {})
			};
			// Preference training is a job kind of its own, its settings in a training config.
			const job =
				spec.method === 'dpo'
					? await call<FireworksJob>('POST', `${account}/dpoJobs`, {
							...common,
							trainingConfig: training,
							lossConfig: { method: 'DPO', dpo: h.beta ? { beta: h.beta } : {} }
						})
					: await call<FireworksJob>('POST', `${account}/supervisedFineTuningJobs`, {
							...common,
							...training
						});
			return job.name;
		},
		async findByTrainingFile(trainingFileId) {
			for (const kind of ['supervisedFineTuningJobs', 'dpoJobs']) {
				let pageToken = '';
				do {
					const page = await call<Record<string, FireworksJob[] | string | undefined>>(
						'GET',
						`${account}/${kind}?pageSize=200${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`
					);
					const jobs = (page[kind] ?? []) as FireworksJob[];
					const made = jobs.find((j) => j.dataset === trainingFileId);
					if (made) return made.name;
					pageToken = (page.nextPageToken as string | undefined) ?? '';
				} while (pageToken);
			}
			return null;
		},
		async status(jobId): Promise<ProviderStatus> {
			const job = await readJob(jobId);
			const status = JOB_STATUS[job.state ?? ''] ?? 'running';
			const outputModel = job.outputModel ?? job.trainingConfig?.outputModel;
			if (status === 'failed') {
				return {
					status,
					resultModel: null,
					error: job.status?.message || `The job ended as ${job.state}.`
				};
			}
			if (status !== 'succeeded') return { status, resultModel: null, error: null };
			if (!outputModel) {
				return { status: 'failed', resultModel: null, error: 'Fireworks named no output model.' };
			}
			// Trained: the model answers once its deployment is ready.
			const deployment = await deploymentFor(outputModel);
			if (deployment.state === 'FAILED') {
				return {
					status: 'failed',
					resultModel: null,
					error: `Fireworks could not deploy ${outputModel}: ${deployment.status?.message || 'the deployment failed'}.`
				};
			}
			return deployment.state === 'READY'
				? { status: 'succeeded', resultModel: outputModel, error: null }
				: { status: 'running', resultModel: null, error: null };
		},
		async events(jobId): Promise<ProviderEvent[]> {
			// Fireworks keeps no event list: its state and progress, as seen, stand for one.
			const job = await readJob(jobId);
			const status = JOB_STATUS[job.state ?? ''] ?? 'running';
			const at = new Date(job.updateTime ?? job.createTime ?? Date.now());
			const events: ProviderEvent[] = [
				{
					externalId: `state:${job.state}`,
					level: status === 'failed' ? 'error' : 'info',
					message:
						status === 'failed' && job.status?.message
							? `${STATE_MESSAGES[status]}: ${job.status.message}`
							: `${STATE_MESSAGES[status]} (${job.state})`,
					createdAt: at
				}
			];
			const percent = job.jobProgress?.percent;
			if (status === 'running' && typeof percent === 'number' && percent > 0) {
				const tenth = Math.floor(percent / 10) * 10;
				events.push({
					externalId: `progress:${tenth}`,
					level: 'info',
					message: `Training ${tenth}% done`,
					createdAt: at
				});
			}
			const outputModel = job.outputModel ?? job.trainingConfig?.outputModel;
			if (status === 'succeeded' && outputModel) {
				events.push({
					externalId: `deploy:${outputModel}`,
					level: 'info',
					message: `Deploying ${outputModel} (scales to zero when idle)`,
					createdAt: at
				});
			}
			return events;
		},
		async cancel(jobId) {
			await call('POST', `${jobId}:cancel`, {});
		}
	};
}
