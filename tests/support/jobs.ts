import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { eq } from 'drizzle-orm';
import type { Db } from '../../src/lib/server/db';
import { job, jobItem, type Project } from '../../src/lib/server/db/schema';
import { createJob } from '../../src/lib/server/jobs';
import { addModel, createProvider } from '../../src/lib/server/providers';
import { secretKeyFrom } from '../../src/lib/server/secrets';
import type { JobSettings } from '../../src/lib/schemas/job';

export const TEST_SECRET = secretKeyFrom('a test secret, not used anywhere else');

export const TEST_SETTINGS: JobSettings = {
	temperature: 0.2,
	maxTokens: null,
	samplesPerInput: 1,
	fewShot: 0,
	reasoning: false,
	invalidOutputs: 'repair',
	concurrency: 4,
	timeoutSeconds: 5
};

/** A provider at the stand-in's URL with its teacher model, priced so cost is checkable. */
export async function standinProvider(
	db: Db,
	url: string,
	apiKey = '',
	modelName = 'teacher-large'
) {
	const created = await createProvider(db, TEST_SECRET, {
		name: 'Stand-in',
		baseUrl: url,
		apiKey,
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	const teacher = await addModel(db, created.id, {
		name: modelName,
		inputPricePerMTok: 1,
		outputPricePerMTok: 4
	});
	return { providerId: created.id, modelId: teacher.id };
}

export async function startJob(
	db: Db,
	target: Project,
	userId: string,
	modelIds: number[],
	inputs: string[],
	settings: Partial<JobSettings> = {}
) {
	return await createJob(db, target, userId, {
		modelIds,
		settings: { ...TEST_SETTINGS, ...settings },
		inputs,
		source: { kind: 'file', filename: 'inputs.jsonl' }
	});
}

export async function jobRow(db: Db, jobId: number) {
	return (await db.select().from(job).where(eq(job.id, jobId)).limit(1))[0]!;
}

export async function itemsOf(db: Db, jobId: number) {
	return await db.select().from(jobItem).where(eq(jobItem.jobId, jobId));
}

/** Waits, polling the database, until the job reaches one of the statuses. */
export async function jobReaches(
	db: Db,
	jobId: number,
	statuses: string[],
	timeoutMs = 20_000
): Promise<void> {
	const until = Date.now() + timeoutMs;
	while (!statuses.includes((await jobRow(db, jobId)).status)) {
		if (Date.now() > until) {
			throw new Error(
				`job ${jobId} is still ${(await jobRow(db, jobId)).status} after ${timeoutMs} ms`
			);
		}
		await new Promise((r) => setTimeout(r, 20));
	}
}

/** Waits until `test` holds for the job's items. */
export async function itemsReach(
	db: Db,
	jobId: number,
	test: (items: Awaited<ReturnType<typeof itemsOf>>) => boolean,
	timeoutMs = 20_000
): Promise<void> {
	const until = Date.now() + timeoutMs;
	while (!test(await itemsOf(db, jobId))) {
		if (Date.now() > until) throw new Error(`job ${jobId}'s items did not get there in time`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

/**
 * Freezes a worker process (SIGSTOP) while it holds some of a job's items, and returns their
 * inputs: read while the worker can change nothing. If it holds nothing at that instant
 * (between writing one batch and claiming the next), it runs on a moment and is frozen again.
 */
export async function freezeHolding(
	db: Db,
	jobId: number,
	worker: ChildProcess
): Promise<string[]> {
	const owner = `${hostname()}:${worker.pid}:`;
	for (let tries = 0; tries < 100; tries++) {
		worker.kill('SIGSTOP');
		const held = (await itemsOf(db, jobId))
			.filter((i) => i.status === 'running' && i.leaseOwner?.startsWith(owner))
			.map((i) => i.input);
		if (held.length > 0) return held;
		worker.kill('SIGCONT');
		await new Promise((r) => setTimeout(r, 20));
	}
	throw new Error(`worker ${worker.pid} held none of job ${jobId}'s items in 100 looks`);
}
