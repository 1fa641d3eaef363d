import type { IncomingMessage, ServerResponse } from 'node:http';

// Fireworks AI's fine-tuning API in the stand-in, as its REST reference and its official
// Python SDK describe it: datasets created with their example count and uploaded in one
// multipart request or through a signed URL (then validated), supervised fine-tuning jobs
// under /v1/accounts/{account}, and deployments that serve a trained model. Errors have
// Fireworks' shape, {"code": <gRPC code>, "message", "details"}; a key that cannot use the
// account is answered 403 with an empty message, as Fireworks does.

export type FireworksContext = {
	account: () => string;
	fineTuneSeconds: () => number;
	/** Answers every upload with a refusal, as a provider does with a file it cannot use. */
	refuseFiles: () => boolean;
	/** Takes one planned outage, if any is left: the upload is answered 503. */
	takeOutage: () => boolean;
	port: () => number;
	onUpload: (filename: string, content: string) => void;
	onJob: (dpo: boolean) => void;
	/** The model now answers chat requests. */
	serve: (model: string) => void;
};

type Dataset = {
	id: string;
	displayName: string;
	exampleCount: string;
	state: 'UPLOADING' | 'READY';
	content: string | null;
	readyAt: number | null;
	createTime: string;
};

type Job = {
	id: string;
	/** A supervised fine-tuning job, or a DPO job (its settings in a training config). */
	kind: 'supervisedFineTuningJobs' | 'dpoJobs';
	dataset: string;
	baseModel: string;
	evaluationDataset: string | null;
	displayName: string;
	settings: Record<string, unknown>;
	createdMs: number;
	cancelledAt: number | null;
};

type Deployment = { id: string; baseModel: string; createdMs: number };

/** How the stand-in's fireworks section counts what it was asked. */
export type FireworksStats = { signedUploads: number; deployments: number };

async function bodyText(request: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

function answer(response: ServerResponse, status: number, body: unknown) {
	response.writeHead(status, { 'content-type': 'application/json' });
	response.end(JSON.stringify(body));
}

const GRPC = { 3: 400, 5: 404, 6: 409, 7: 403, 9: 400, 14: 503 } as const;
function refuse(response: ServerResponse, code: keyof typeof GRPC, message: string) {
	answer(response, GRPC[code], { code, message, details: [] });
}

/** The one file of a multipart body, by its part name. */
function filePart(body: Buffer, contentType: string, name: string): string | null {
	const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
	if (!boundary) return null;
	for (const part of body.toString('utf8').split(`--${boundary[1] ?? boundary[2]}`)) {
		const split = part.indexOf('\r\n\r\n');
		if (split === -1) continue;
		if (new RegExp(`name="${name}"`).test(part.slice(0, split))) {
			return part.slice(split + 4).replace(/\r\n$/, '');
		}
	}
	return null;
}

const DATASET_ID = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DIRECT_UPLOAD_LIMIT = 150 * 1024 * 1024;

export function fireworksStandin(context: FireworksContext) {
	const datasets = new Map<string, Dataset>();
	const jobs = new Map<string, Job>();
	const deployments = new Map<string, Deployment>();
	const stats: FireworksStats = { signedUploads: 0, deployments: 0 };

	function datasetView(found: Dataset) {
		if (found.state === 'UPLOADING' && found.readyAt !== null && Date.now() >= found.readyAt) {
			found.state = 'READY';
		}
		return {
			name: `accounts/${context.account()}/datasets/${found.id}`,
			displayName: found.displayName,
			createTime: found.createTime,
			state: found.state,
			status: { code: 'OK', message: '' },
			exampleCount: found.exampleCount,
			userUploaded: {},
			format: 'CHAT'
		};
	}

	/** Creating, pending, running (with its progress), then completed or failed; a quarter each. */
	function jobView(job: Job) {
		const elapsed = (Date.now() - job.createdMs) / 1000 / context.fineTuneSeconds();
		const failing = job.baseModel.includes('fail');
		const state =
			job.cancelledAt !== null
				? 'JOB_STATE_CANCELLED'
				: elapsed < 0.25
					? 'JOB_STATE_CREATING'
					: elapsed < 0.5
						? 'JOB_STATE_PENDING'
						: elapsed < 1
							? 'JOB_STATE_RUNNING'
							: failing
								? 'JOB_STATE_FAILED'
								: 'JOB_STATE_COMPLETED';
		const account = context.account();
		const outputModel = `accounts/${account}/models/${job.id}`;
		return {
			// The hyperparameters as they were sent; the fields below are the job's own.
			...job.settings,
			name: `accounts/${account}/${job.kind}/${job.id}`,
			displayName: job.displayName,
			dataset: job.dataset,
			...(job.evaluationDataset ? { evaluationDataset: job.evaluationDataset } : {}),
			...(job.kind === 'dpoJobs'
				? {
						trainingConfig: {
							...((job.settings.trainingConfig as object | undefined) ?? {}),
							outputModel
						}
					}
				: { baseModel: job.baseModel, outputModel }),
			state,
			status:
				state === 'JOB_STATE_FAILED'
					? { code: 'INTERNAL', message: 'Training failed: the loss diverged.' }
					: { code: 'OK', message: '' },
			jobProgress: {
				percent: state === 'JOB_STATE_RUNNING' ? Math.round((elapsed - 0.5) * 200) : 0
			},
			createTime: new Date(job.createdMs).toISOString(),
			updateTime: new Date().toISOString()
		};
	}

	/** Creating for a quarter of a fine-tune's time, then ready: the model answers from then on. */
	function deploymentView(found: Deployment) {
		const ready = Date.now() - found.createdMs >= (context.fineTuneSeconds() * 1000) / 4;
		if (ready) context.serve(found.baseModel);
		return {
			name: `accounts/${context.account()}/deployments/${found.id}`,
			baseModel: found.baseModel,
			state: ready ? 'READY' : 'CREATING',
			minReplicaCount: 0,
			createTime: new Date(found.createdMs).toISOString()
		};
	}

	async function route(
		request: IncomingMessage,
		response: ServerResponse,
		path: string
	): Promise<boolean> {
		const method = request.method ?? 'GET';
		// The signed URL's PUT: no key, the size fixed by the signature's header.
		const signed = /^\/_fireworks_upload\/([^/]+)\/([^/]+)$/.exec(path);
		if (signed && method === 'PUT') {
			const found = datasets.get(signed[1]);
			const content = await bodyText(request);
			const range = request.headers['x-goog-content-length-range'];
			if (!found || range !== `${content.length},${content.length}`) {
				response.writeHead(403, { 'content-type': 'application/xml' });
				response.end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
				return true;
			}
			found.content = content.toString('utf8');
			stats.signedUploads++;
			context.onUpload(decodeURIComponent(signed[2]), found.content);
			response.writeHead(200);
			response.end();
			return true;
		}
		const scoped = /^\/accounts\/([^/]+)\/(.*)$/.exec(path);
		if (!scoped) return false;
		if (scoped[1] !== context.account()) {
			refuse(response, 7, '');
			return true;
		}
		const rest = scoped[2];
		const json = async () => {
			const text = (await bodyText(request)).toString('utf8');
			return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
		};

		if (rest === 'datasets' && method === 'POST') {
			const body = await json();
			const id = String(body.datasetId ?? '');
			const given = (body.dataset ?? {}) as Record<string, unknown>;
			if (!DATASET_ID.test(id)) {
				refuse(response, 3, `invalid dataset id "${id}"`);
			} else if (given.exampleCount === undefined) {
				refuse(response, 3, 'exampleCount is required');
			} else if (datasets.has(id)) {
				refuse(response, 6, `dataset "${id}" already exists`);
			} else {
				const made: Dataset = {
					id,
					displayName: String(given.displayName ?? id),
					exampleCount: String(given.exampleCount),
					state: 'UPLOADING',
					content: null,
					readyAt: null,
					createTime: new Date().toISOString()
				};
				datasets.set(id, made);
				answer(response, 200, datasetView(made));
			}
			return true;
		}
		const dataset = /^datasets\/([^/:]+)(:upload|:getUploadEndpoint|:validateUpload)?$/.exec(rest);
		if (dataset) {
			const found = datasets.get(dataset[1]);
			if (!found) {
				refuse(response, 5, `dataset "${dataset[1]}" not found`);
				return true;
			}
			const action = dataset[2];
			if (!action && method === 'GET') {
				answer(response, 200, datasetView(found));
			} else if (action === ':upload' && method === 'POST') {
				const body = await bodyText(request);
				const content = filePart(body, request.headers['content-type'] ?? '', 'file');
				if (context.takeOutage()) refuse(response, 14, 'Service temporarily unavailable.');
				else if (content === null) refuse(response, 3, 'no file in the upload');
				else if (body.length > DIRECT_UPLOAD_LIMIT) {
					refuse(response, 3, 'file too large: use getUploadEndpoint for files over 150 MB');
				} else if (context.refuseFiles()) refuse(response, 3, 'Invalid file format.');
				else {
					found.content = content;
					// Ready a moment later, as a real upload is processed.
					found.readyAt = Date.now() + 30;
					context.onUpload(found.displayName, content);
					answer(response, 200, { id: found.id, bytes: content.length, object: 'file' });
				}
			} else if (action === ':getUploadEndpoint' && method === 'POST') {
				const sizes = ((await json()).filenameToSize ?? {}) as Record<string, string>;
				answer(response, 200, {
					filenameToSignedUrls: Object.fromEntries(
						Object.keys(sizes).map((name) => [
							name,
							`http://127.0.0.1:${context.port()}/_fireworks_upload/${found.id}/${encodeURIComponent(name)}?X-Goog-Signature=standin`
						])
					)
				});
			} else if (action === ':validateUpload' && method === 'POST') {
				if (found.content === null) refuse(response, 9, 'nothing was uploaded');
				else if (context.refuseFiles()) refuse(response, 3, 'Invalid file format.');
				else {
					found.readyAt = Date.now() + 30;
					answer(response, 200, {});
				}
			} else {
				refuse(response, 3, `no such call ${method} ${path}`);
			}
			return true;
		}

		const collection = /^(supervisedFineTuningJobs|dpoJobs)(?:\?.*)?$/.exec(rest);
		if (collection && method === 'GET') {
			const kind = collection[1] as Job['kind'];
			const list = [...jobs.values()]
				.filter((j) => j.kind === kind)
				.reverse()
				.map(jobView);
			answer(response, 200, { [kind]: list, nextPageToken: '', totalSize: list.length });
			return true;
		}
		if (collection && method === 'POST') {
			const kind = collection[1] as Job['kind'];
			const body = await json();
			const datasetId =
				String(body.dataset ?? '')
					.split('/')
					.pop() ?? '';
			const training = (body.trainingConfig ?? {}) as Record<string, unknown>;
			const loss = (body.lossConfig ?? {}) as { method?: string };
			const baseModel = String((kind === 'dpoJobs' ? training.baseModel : body.baseModel) ?? '');
			const source = datasets.get(datasetId);
			if (!source || datasetView(source).state !== 'READY') {
				refuse(response, 9, `dataset "${body.dataset}" is not ready`);
			} else if (!baseModel.startsWith('accounts/') || baseModel.includes('unknown')) {
				refuse(response, 5, `model "${baseModel}" not found or not tunable`);
			} else if (kind === 'dpoJobs' && loss.method !== 'DPO') {
				refuse(response, 3, 'lossConfig.method must be DPO');
			} else {
				const id = `sft-${jobs.size + 1}`;
				const job: Job = {
					id,
					kind,
					dataset: String(body.dataset),
					baseModel,
					evaluationDataset: (body.evaluationDataset as string | undefined) ?? null,
					displayName: String(body.displayName ?? id),
					settings: body,
					createdMs: Date.now(),
					cancelledAt: null
				};
				jobs.set(id, job);
				context.onJob(kind === 'dpoJobs');
				answer(response, 200, jobView(job));
			}
			return true;
		}
		const job = /^(?:supervisedFineTuningJobs|dpoJobs)\/([^/:]+)(:cancel)?$/.exec(rest);
		if (job) {
			const found = jobs.get(job[1]);
			if (!found) refuse(response, 5, `job "${job[1]}" not found`);
			else if (job[2] === ':cancel' && method === 'POST') {
				found.cancelledAt ??= Date.now();
				answer(response, 200, {});
			} else if (!job[2] && method === 'GET') answer(response, 200, jobView(found));
			else refuse(response, 3, `no such call ${method} ${path}`);
			return true;
		}

		if (rest.startsWith('deployments') && method === 'GET' && !rest.includes('/')) {
			answer(response, 200, {
				deployments: [...deployments.values()].map(deploymentView),
				nextPageToken: ''
			});
			return true;
		}
		if (rest === 'deployments' && method === 'POST') {
			const body = await json();
			const baseModel = String(body.baseModel ?? '');
			const trainedBy = [...jobs.values()].find(
				(j) =>
					`accounts/${context.account()}/models/${j.id}` === baseModel &&
					jobView(j).state === 'JOB_STATE_COMPLETED'
			);
			if (!trainedBy) {
				refuse(response, 5, `model "${baseModel}" not found`);
				return true;
			}
			const made = { id: `deployment-${deployments.size + 1}`, baseModel, createdMs: Date.now() };
			deployments.set(made.id, made);
			stats.deployments++;
			answer(response, 200, deploymentView(made));
			return true;
		}
		refuse(response, 5, `no route ${method} ${path}`);
		return true;
	}

	return { route, stats };
}
