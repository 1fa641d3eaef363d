import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

// The Hugging Face Hub in the stand-in, as far as Hugging Face Jobs use it (the shapes of
// huggingface_hub and huggingface.js): who the token is, private dataset repositories filled
// through the commit API, and jobs that run a command on rented hardware. A job here "runs" by
// its clock: scheduling, running, then completed, when it "pushes" the repository named by its
// --hub-model-id; a base model whose name contains "fail" ends in ERROR.

export type HubContext = {
	user: () => string;
	fineTuneSeconds: () => number;
	refuseFiles: () => boolean;
	/** Takes one planned outage, if any is left: the commit is answered 503. */
	takeOutage: () => boolean;
	onUpload: (filename: string, content: string) => void;
	onJob: () => void;
};

type Job = {
	id: string;
	spec: Record<string, unknown>;
	createdMs: number;
	cancelledAt: number | null;
};

const FLAVORS = ['cpu-basic', 't4-small', 't4-medium', 'l4x1', 'a10g-small', 'a10g-large'];
FLAVORS.push('l40sx1', 'a100-large', 'h200');

function answer(response: ServerResponse, status: number, body: unknown) {
	response.writeHead(status, {
		'content-type': 'application/json',
		...(status >= 400 ? { 'x-error-message': (body as { error: string }).error } : {})
	});
	response.end(JSON.stringify(body));
}

async function bodyText(request: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

export function hubStandin(context: HubContext) {
	/** Each dataset repository's files, by path. */
	const repos = new Map<string, Map<string, string>>();
	const jobs = new Map<string, Job>();
	const stats = { jobs: 0 };

	function argument(job: Job, name: string): string | null {
		const command = job.spec.command as string[];
		const at = command.indexOf(name);
		return at === -1 ? null : command[at + 1];
	}

	function view(job: Job) {
		const elapsed = (Date.now() - job.createdMs) / 1000 / context.fineTuneSeconds();
		const base = argument(job, '--base-model') ?? '';
		// The job starts whatever the model; the script meets an unknown one when it loads it.
		const unknown = base.startsWith('unknown');
		const failing = base.includes('fail') || unknown;
		const stage =
			job.cancelledAt !== null
				? 'CANCELED'
				: elapsed < 0.25
					? 'SCHEDULING'
					: elapsed < 1
						? 'RUNNING'
						: failing
							? 'ERROR'
							: 'COMPLETED';
		const user = context.user();
		const { secrets, ...spec } = job.spec;
		return {
			type: 'job',
			id: job.id,
			...spec,
			secrets: Object.keys((secrets as object | undefined) ?? {}),
			createdAt: new Date(job.createdMs).toISOString(),
			startedAt: stage === 'SCHEDULING' ? null : new Date(job.createdMs).toISOString(),
			finishedAt: ['COMPLETED', 'ERROR', 'CANCELED'].includes(stage)
				? new Date().toISOString()
				: null,
			status: {
				stage,
				message:
					stage !== 'ERROR'
						? null
						: unknown
							? `Repository Not Found for url: https://huggingface.co/${base}/resolve/main/config.json.`
							: 'Training failed: the loss diverged.'
			},
			owner: { id: 'standin-user-id', name: user, type: 'user' }
		};
	}

	async function route(request: IncomingMessage, response: ServerResponse, path: string) {
		if (!path.startsWith('/api/')) return false;
		const method = request.method ?? 'GET';
		const user = context.user();
		if (path === '/api/whoami-v2' && method === 'GET') {
			answer(response, 200, { type: 'user', id: 'standin-user-id', name: user, orgs: [] });
			return true;
		}
		if (path === '/api/jobs/hardware' && method === 'GET') {
			answer(
				response,
				200,
				FLAVORS.map((name) => ({ name, prettyName: name, unitLabel: 'minute' }))
			);
			return true;
		}
		if (path === '/api/repos/create' && method === 'POST') {
			const body = JSON.parse(await bodyText(request)) as Record<string, string>;
			const id = `${body.organization ?? user}/${body.name}`;
			if (body.type !== 'dataset') {
				answer(response, 400, { error: 'Only dataset repositories here.' });
			} else if (repos.has(id)) {
				answer(response, 409, {
					error: 'You already created this dataset repo',
					url: `https://huggingface.co/datasets/${id}`
				});
			} else {
				repos.set(id, new Map());
				answer(response, 200, { url: `https://huggingface.co/datasets/${id}`, id });
			}
			return true;
		}
		const commit = /^\/api\/datasets\/([^/]+\/[^/]+)\/commit\/main$/.exec(path);
		if (commit && method === 'POST') {
			const files = repos.get(commit[1]);
			if (context.takeOutage()) {
				answer(response, 503, { error: 'Service temporarily unavailable.' });
				return true;
			}
			if (!files) {
				answer(response, 404, { error: 'Repository not found' });
				return true;
			}
			const lines = (await bodyText(request)).split('\n').filter(Boolean);
			for (const line of lines.map((l) => JSON.parse(l))) {
				if (line.key !== 'file') continue;
				const content = Buffer.from(line.value.content, 'base64').toString('utf8');
				files.set(line.value.path, content);
				if (line.value.path.endsWith('.jsonl')) context.onUpload(line.value.path, content);
			}
			answer(response, 200, {
				success: true,
				commitOid: randomBytes(20).toString('hex'),
				hookOutput: ''
			});
			return true;
		}
		const list = /^\/api\/jobs\/([^/]+)$/.exec(path);
		if (list && list[1] !== user) {
			answer(response, 403, { error: `You cannot run jobs in ${list[1]}.` });
			return true;
		}
		if (list && method === 'POST') {
			const spec = JSON.parse(await bodyText(request)) as Record<string, unknown>;
			const command = spec.command as string[] | undefined;
			const volume = (spec.volumes as { source: string; mountPath: string }[] | undefined)?.[0];
			const mounted = volume ? repos.get(volume.source) : undefined;
			const reads = (command ?? [])
				.filter((part) => volume && part.startsWith(`${volume.mountPath}/`))
				.map((part) => part.slice(volume!.mountPath.length + 1));
			if (!spec.dockerImage || !Array.isArray(command)) {
				answer(response, 400, { error: 'A job needs a dockerImage and a command.' });
			} else if (!FLAVORS.includes(String(spec.flavor))) {
				answer(response, 400, { error: `Unknown flavor ${spec.flavor}.` });
			} else if (!mounted || reads.some((file) => !mounted.has(file))) {
				answer(response, 400, { error: 'The job reads a file its volume does not have.' });
			} else if (context.refuseFiles()) {
				answer(response, 400, { error: 'Invalid file format.' });
			} else {
				const job: Job = {
					id: randomBytes(12).toString('hex'),
					spec,
					createdMs: Date.now(),
					cancelledAt: null
				};
				jobs.set(job.id, job);
				stats.jobs++;
				context.onJob();
				answer(response, 200, view(job));
			}
			return true;
		}
		if (list && method === 'GET') {
			answer(response, 200, [...jobs.values()].map(view));
			return true;
		}
		const one = /^\/api\/jobs\/([^/]+)\/([0-9a-f]{24})(\/cancel)?$/.exec(path);
		if (one) {
			const job = jobs.get(one[2]);
			if (!job || one[1] !== user) answer(response, 404, { error: 'Job not found' });
			else if (one[3] && method === 'POST') {
				job.cancelledAt ??= Date.now();
				answer(response, 200, view(job));
			} else answer(response, 200, view(job));
			return true;
		}
		const pushed = /^\/api\/models\/([^/]+\/[^/]+)$/.exec(path);
		if (pushed && method === 'GET') {
			const made = [...jobs.values()].find(
				(j) => argument(j, '--hub-model-id') === pushed[1] && view(j).status.stage === 'COMPLETED'
			);
			if (made) answer(response, 200, { id: pushed[1], private: true, tags: ['hf_jobs'] });
			else answer(response, 404, { error: 'Repository not found' });
			return true;
		}
		answer(response, 404, { error: `No route ${method} ${path}` });
		return true;
	}

	return { route, stats };
}
