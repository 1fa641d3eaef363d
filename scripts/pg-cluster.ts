// A throwaway PostgreSQL server for the test suite and the benchmarks: a fresh cluster in a
// temporary folder, listening on a free loopback port, stopped and removed when done. Root may
// not run initdb, so as root the server runs as the postgres user.
//
//   tsx scripts/pg-cluster.ts start      starts one and prints its URL and its folder
//   tsx scripts/pg-cluster.ts stop DIR   stops the one in DIR and removes the folder
//
// PostgreSQL itself comes from Debian (`apt-get install -y postgresql`); .ci/run installs it.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './bench-server';

export type Cluster = {
	/** postgres://postgres@127.0.0.1:<port>/postgres */
	url: string;
	port: number;
	/** The temporary folder that holds the data, the socket and the log. */
	dir: string;
	stop(): void;
};

/** The folder of PostgreSQL's programs: PG_BIN, or the newest under /usr/lib/postgresql. */
export function postgresBin(): string {
	if (process.env.PG_BIN) return process.env.PG_BIN;
	const root = '/usr/lib/postgresql';
	const versions = existsSync(root)
		? readdirSync(root)
				.filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
				.sort((a, b) => Number(b) - Number(a))
		: [];
	if (versions.length === 0) {
		throw new Error(
			'PostgreSQL is not installed: apt-get install -y postgresql (or set PG_BIN to its bin folder).'
		);
	}
	return join(root, versions[0], 'bin');
}

const asRoot = process.getuid?.() === 0;

/** The command that runs `program` as the user who may: postgres when we are root. */
function asServerUser(program: string, args: string[]): [string, string[]] {
	return asRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

function run(program: string, args: string[]) {
	execFileSync(...asServerUser(program, args), { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Starts a cluster. `durable: false` (tests) turns off fsync: a crashed throwaway cluster is
 * thrown away anyway. Benchmarks keep PostgreSQL's defaults.
 */
export async function startCluster(
	options: { durable?: boolean; settings?: string[] } = {}
): Promise<Cluster> {
	const bin = postgresBin();
	const dir = mkdtempSync(join(tmpdir(), 'winnow-pg-'));
	chmodSync(dir, 0o700);
	if (asRoot) {
		const ids = execFileSync('id', ['-u', 'postgres']).toString().trim();
		const group = execFileSync('id', ['-g', 'postgres']).toString().trim();
		chownSync(dir, Number(ids), Number(group));
	}
	const data = join(dir, 'data');
	run(join(bin, 'initdb'), [
		'-D',
		data,
		'-U',
		'postgres',
		'-A',
		'trust',
		'-E',
		'UTF8',
		'--no-sync',
		'--no-instructions'
	]);
	const port = await freePort();
	const settings = [
		`-p ${port}`,
		`-k ${dir}`,
		'-c listen_addresses=127.0.0.1',
		'-c max_connections=200',
		...(options.durable ? [] : ['-c fsync=off', '-c full_page_writes=off']),
		...(options.settings ?? []).map((setting) => `-c ${setting}`)
	];
	run(join(bin, 'pg_ctl'), [
		'-D',
		data,
		'-l',
		join(dir, 'server.log'),
		'-o',
		settings.join(' '),
		'-w',
		'start'
	]);
	let stopped = false;
	const stop = () => {
		if (stopped) return;
		stopped = true;
		stopCluster(dir);
	};
	return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dir, stop };
}

/** Stops the cluster in `dir` (fast shutdown) and removes the folder. */
export function stopCluster(dir: string): void {
	const args = ['-D', join(dir, 'data'), '-m', 'fast', 'stop'];
	spawnSync(...asServerUser(join(postgresBin(), 'pg_ctl'), args), { stdio: 'ignore' });
	rmSync(dir, { recursive: true, force: true });
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const [command, dir] = process.argv.slice(2);
	if (command === 'start') {
		const cluster = await startCluster({ durable: process.argv.includes('--durable') });
		process.stdout.write(`${cluster.url}\n${cluster.dir}\n`);
	} else if (command === 'stop' && dir) {
		stopCluster(dir);
	} else {
		console.error('Usage: tsx scripts/pg-cluster.ts start [--durable] | stop DIR');
		process.exit(2);
	}
}
