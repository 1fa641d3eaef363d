import { getPriority, setPriority } from 'node:os';
import type { Config } from './config';
import { DatabaseStartError, openDatabase, type Db } from './db';
import { FineTuneFollower } from './finetune/follower';
import { JobRunner } from './jobs/runner';
import { checkSecret, loadSecretKey, type SecretKey } from './secrets';
import { messenger, watch, type Waker } from './signals';

// What a process does besides answering requests, by its role: `all` (the default) runs the
// job runner and the fine-tune follower beside the pages, as one process; `worker` runs only
// them; `web` runs neither and wakes the workers through the database. Workers share the work
// through leases, so any number of them can run on one database.

export type Background = {
	/** Woken when a job starts, pauses, resumes or is cancelled. */
	jobs: Waker;
	/** Woken when a fine-tune starts or is cancelled. */
	fineTunes: Waker;
	stop(): Promise<void>;
};

/** The niceness a worker process runs at (0 is normal, 19 the lowest priority). */
const WORKER_NICENESS = 10;

function lowerPriority(log: (message: string) => void) {
	try {
		setPriority(Math.max(getPriority(), WORKER_NICENESS));
	} catch (e) {
		log(
			`worker: could not lower its priority (${(e as Error).message}); it runs at normal priority`
		);
	}
}

/**
 * What every process does first, whatever its role: opens and migrates the database and opens
 * the secret that seals provider keys. What stops it is one line for the person starting it.
 */
export async function openForRole(
	config: Pick<Config, 'databaseUrl' | 'poolSize' | 'secret' | 'secretFile'>
): Promise<{ ok: true; db: Db; key: SecretKey } | { ok: false; message: string }> {
	let db: Db;
	try {
		db = await openDatabase(config.databaseUrl, { poolSize: config.poolSize });
	} catch (e) {
		if (e instanceof DatabaseStartError) return { ok: false, message: e.message };
		throw e;
	}
	const key = loadSecretKey(config.secret, config.secretFile);
	const secret = await checkSecret(db, key);
	if (!secret.ok) {
		await db.close();
		return { ok: false, message: secret.message };
	}
	return { ok: true, db, key };
}

export async function startBackground(
	db: Db,
	key: SecretKey,
	config: Pick<Config, 'role' | 'fineTunePollMs' | 'itemLeaseMs'>,
	log: (message: string) => void
): Promise<Background> {
	if (config.role === 'web') {
		return {
			jobs: messenger(db, 'jobs', null, log),
			fineTunes: messenger(db, 'fine-tunes', null, log),
			stop: async () => {}
		};
	}
	// A worker process yields the processor to the web process on the same machine: the people
	// reviewing come before a job, which only takes a little longer.
	if (config.role === 'worker') lowerPriority(log);
	const runner = new JobRunner(db, { key, log, leaseMs: config.itemLeaseMs });
	await runner.start();
	const follower = new FineTuneFollower(db, {
		key,
		pollMs: config.fineTunePollMs,
		log,
		wakeJobs: () => jobs.wake()
	});
	const jobs = messenger(db, 'jobs', runner, log);
	follower.start();
	const stopWatching = [
		watch(db, 'jobs', () => runner.wake()),
		watch(db, 'fine-tunes', () => follower.wake())
	];
	return {
		jobs,
		fineTunes: messenger(db, 'fine-tunes', follower, log),
		stop: async () => {
			for (const stop of stopWatching) stop();
			await Promise.all([runner.stop(), follower.stop()]);
		}
	};
}
