// What the benchmarks that run the built server share: a free port, the server started on a
// database file and waited for, its memory and CPU read from /proc, and percentiles with their
// intervals.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { quantile } from '../src/lib/agreement';
import { mulberry32 } from '../src/lib/random';

const BUILT_SERVER = 'build/index.js';

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = createServer();
		probe.once('error', reject);
		probe.listen(0, '127.0.0.1', () => {
			const address = probe.address();
			probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

/** Resident memory high-water mark and CPU seconds of a running process, from /proc. */
export function processStats(pid: number): { peakRssMb: number | null; cpuSeconds: number | null } {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
		// Fields after the command name; utime and stime are the 12th and 13th, in clock ticks.
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		const ticks = Number(fields[11]) + Number(fields[12]);
		return { peakRssMb: hwm ? Math.round(Number(hwm[1]) / 1024) : null, cpuSeconds: ticks / 100 };
	} catch {
		return { peakRssMb: null, cpuSeconds: null };
	}
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * A 95% percentile-bootstrap interval for a figure made of percentiles of independent samples
 * (one sample's p95, or the ratio of two samples' p95s), each sample resampled on its own.
 * It says how far the figure moves with which requests of one run happened to be timed, not
 * how far it moves between runs on a machine whose load changes: requests close in time are
 * alike, so the spread between runs is the larger. Seeded, so the same timings give the same
 * interval.
 */
export function percentileInterval(
	samples: readonly (readonly number[])[],
	figure: (percentiles: number[]) => number,
	{ p = 95, replicates = 2000, seed = 1 } = {}
): { lower: number; upper: number } {
	if (samples.some((sample) => sample.length === 0)) return { lower: NaN, upper: NaN };
	const random = mulberry32(seed);
	const sorted = samples.map((sample) => [...sample].sort((a, b) => a - b));
	const draws = sorted.map((sample) => new Uint32Array(sample.length));
	const estimates = new Float64Array(replicates);
	for (let b = 0; b < replicates; b++) {
		const percentiles = sorted.map((sample, k) => {
			// A resample's nearest-rank percentile without sorting it: count how often each
			// value of the sorted sample is drawn, then walk the counts up to the rank.
			const n = sample.length;
			const times = draws[k].fill(0);
			for (let i = 0; i < n; i++) times[Math.floor(random() * n)] += 1;
			const rank = Math.max(1, Math.ceil((p / 100) * n));
			let seen = 0;
			for (let i = 0; i < n; i++) {
				seen += times[i];
				if (seen >= rank) return sample[i];
			}
			return sample[n - 1];
		});
		estimates[b] = figure(percentiles);
	}
	estimates.sort();
	return { lower: quantile(estimates, 0.025), upper: quantile(estimates, 0.975) };
}

export type BenchServer = {
	process: ChildProcess;
	/** Where the server believes it is, for the Origin header of form posts. */
	origin: string;
	/** Where requests go: the server listens on IPv4 only, while the origin stays localhost. */
	base: string;
	log: string[];
	stop(): Promise<void>;
};

/** Builds the server when its build is missing or older than the sources, as `npm start` does. */
export function buildServerIfStale() {
	const built = spawnSync(process.execPath, ['scripts/start.js', '--build'], { encoding: 'utf8' });
	if (built.status !== 0) {
		throw new Error(`the server could not be built:\n${built.stdout}${built.stderr}`);
	}
	if (built.stdout.trim()) console.log('built the server');
}

/**
 * Starts the built server (building it first when missing or stale) on a database and waits
 * until it answers. Throws with the server's log when it does not.
 */
export async function startBenchServer(
	databaseUrl: string,
	options: { nodeArgs?: string[]; onFailure?: () => void; env?: Record<string, string> } = {}
): Promise<BenchServer> {
	buildServerIfStale();
	const port = await freePort();
	const origin = `http://localhost:${port}`;
	const base = `http://127.0.0.1:${port}`;
	const server = spawn(process.execPath, [...(options.nodeArgs ?? []), BUILT_SERVER], {
		env: {
			...process.env,
			DATABASE_URL: databaseUrl,
			HOST: '127.0.0.1',
			PORT: String(port),
			ORIGIN: origin,
			SHUTDOWN_TIMEOUT: '5',
			BODY_SIZE_LIMIT: '512M',
			...options.env
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	const log: string[] = [];
	for (const stream of [server.stdout!, server.stderr!]) {
		stream.setEncoding('utf8');
		stream.on('data', (chunk: string) => log.push(chunk));
	}
	let exited = false;
	server.once('exit', () => (exited = true));
	const stop = async () => {
		if (exited) return;
		server.kill('SIGTERM');
		await once(server, 'exit');
	};
	const deadline = performance.now() + 30_000;
	while (performance.now() < deadline && !exited) {
		try {
			await (await fetch(`${base}/login`)).arrayBuffer();
			return { process: server, origin, base, log, stop };
		} catch {
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}
	await stop();
	options.onFailure?.();
	throw new Error(`the server did not answer:\n${log.join('')}`);
}

/** Posts the review page's submit form action as the page's own script does. */
export function postSubmit(
	server: Pick<BenchServer, 'base' | 'origin'>,
	projectId: number,
	cookie: string,
	form: URLSearchParams
): Promise<Response> {
	return fetch(`${server.base}/projects/${projectId}/review?/submit`, {
		method: 'POST',
		headers: {
			'content-type': 'application/x-www-form-urlencoded',
			'x-sveltekit-action': 'true',
			accept: 'application/json',
			origin: server.origin,
			cookie
		},
		body: form
	});
}

export type RoleProcess = {
	child: ChildProcess;
	/** What it printed so far, standard output and error together. */
	output: () => string;
	/** Kills it at once, as a crash would. */
	kill: () => Promise<void>;
};

/**
 * Starts `scripts/worker.ts` in the given role on a database file and waits until it works:
 * several of these on one file are the multi-process set-up (`WINNOW_ROLE=web` and `worker`).
 */
export async function startRoleProcess(
	role: 'web' | 'worker',
	databaseFile: string,
	env: Record<string, string> = {}
): Promise<RoleProcess> {
	const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/worker.ts'], {
		stdio: ['pipe', 'pipe', 'pipe'],
		env: { ...process.env, DATABASE_URL: databaseFile, WINNOW_ROLE: role, ...env }
	});
	let output = '';
	const started = new Promise<void>((resolve, reject) => {
		const take = (chunk: Buffer) => {
			output += chunk.toString();
			if (output.includes('started')) resolve();
		};
		child.stdout!.on('data', take);
		child.stderr!.on('data', take);
		child.on('exit', (code) =>
			reject(new Error(`the ${role} process exited (${code}): ${output}`))
		);
	});
	await started;
	return {
		child,
		output: () => output,
		kill: async () => {
			if (child.exitCode !== null || child.signalCode !== null) return;
			child.kill('SIGKILL');
			await once(child, 'exit');
		}
	};
}
