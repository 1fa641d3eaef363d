import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, expect, it } from 'vitest';
import { createSession, generateSessionToken, sessionCookieName } from '$lib/server/auth';
import { example, jobItem, review } from '$lib/server/db/schema';
import { addMember } from '$lib/server/projects';
import { makeProject, makeUser } from '../support/fixtures';
import { freezeHolding, itemsOf, jobReaches, standinProvider, startJob } from '../support/jobs';
import { startStandin } from '../support/standin';
import { freshDatabaseUrl, openDb } from '../support/database';
import { overlapBroken, watchOverlap } from '../support/invariants';
import {
	postSubmit,
	startBenchServer,
	startRoleProcess,
	type BenchServer,
	type RoleProcess
} from '../../scripts/bench-server';

// A team's set-up, as the README's operations section runs it: two web processes (the built
// server with WINNOW_ROLE=web) and two workers on one database, behind a balancer that sends
// each request to the next web process in turn and passes over one that does not answer.
// Annotators review through the web processes while a distillation job runs in the workers;
// one web process and one worker are killed (SIGKILL) mid-run. On SQLite the processes share a
// file; in the PostgreSQL pass, a PostgreSQL database.

const ANNOTATORS = 200;
const ITEMS = 2000;
const CONCURRENCY = 32;
const OVERLAP = 2;
const SECRET = 'the secret this team shares';

const dir = mkdtempSync(join(tmpdir(), 'winnow-team-'));
const workers: RoleProcess[] = [];
const servers: BenchServer[] = [];
afterAll(async () => {
	await Promise.all([...workers.map((w) => w.kill()), ...servers.map((s) => s.stop())]);
	rmSync(dir, { recursive: true, force: true });
});

type Claimed = { exampleId: number; revisionId: number; submissionKey: string };

/** Requests as a balancer forwards them: to each live web process in turn. */
function balancer(pool: BenchServer[]) {
	const down = new Set<BenchServer>();
	let turn = 0;
	return {
		down,
		/** Sends `request` to the next web process; one that does not answer is passed over. */
		async send(request: (server: BenchServer) => Promise<Response>): Promise<Response> {
			for (let tries = 0; ; tries++) {
				const live = pool.filter((s) => !down.has(s));
				if (live.length === 0) throw new Error('no web process answers');
				const server = live[turn++ % live.length];
				try {
					return await request(server);
				} catch (e) {
					if (server.process.exitCode !== null || server.process.signalCode !== null) {
						down.add(server);
					}
					if (tries > 20) throw e;
					await new Promise((r) => setTimeout(r, 20));
				}
			}
		}
	};
}

it(`${ANNOTATORS} annotators on two web processes and a job on two workers: one of each killed, nothing lost or done twice`, async () => {
	const standin = await startStandin({ latencyMs: 100 });
	try {
		const databaseUrl = await freshDatabaseUrl(join(dir, 'team.db'));
		const db = openDb(databaseUrl);
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id, { reviewsRequired: OVERLAP });
		const { modelId } = await standinProvider(db, standin.url);
		await watchOverlap(db, OVERLAP);
		const cookies: { userId: string; cookie: string }[] = [];
		for (let start = 0; start < ANNOTATORS; start += 20) {
			const batch = await Promise.all(
				Array.from({ length: Math.min(20, ANNOTATORS - start) }, () => makeUser(db, 'annotator'))
			);
			for (const annotator of batch) {
				await addMember(db, target.id, annotator.id);
				const token = generateSessionToken();
				await createSession(db, token, annotator.id);
				cookies.push({ userId: annotator.id, cookie: `${sessionCookieName}=${token}` });
			}
		}

		// Leases short enough that the killed worker's items come back within the test, and
		// long enough that a live worker's renewals keep them on a loaded machine.
		const env = { WINNOW_SECRET: SECRET, WINNOW_ITEM_LEASE_SECONDS: '6' };
		for (let i = 0; i < 2; i++) {
			servers.push(await startBenchServer(databaseUrl, { env: { ...env, WINNOW_ROLE: 'web' } }));
		}
		for (let i = 0; i < 2; i++) workers.push(await startRoleProcess('worker', databaseUrl, env));
		const [doomedWorker] = workers;
		const [doomedServer] = servers;
		const lb = balancer(servers);

		const inputs = Array.from({ length: ITEMS }, (_, i) => `team question ${i + 1}`);
		const jobId = await startJob(db, target, admin.id, [modelId], inputs, {
			concurrency: CONCURRENCY
		});
		// The job starts as a web process starts one: it wakes the workers.
		workers[1].child.stdin!.write('wake jobs\n');

		// Every review a web process said it saved, and what went wrong otherwise.
		const saved: { userId: string; revisionId: number; decision: string }[] = [];
		const refused: string[] = [];
		let annotating = true;
		const annotate = async ({ userId, cookie }: (typeof cookies)[number], n: number) => {
			const think = () => new Promise((r) => setTimeout(r, 500 + ((n * 37) % 1500)));
			while (annotating) {
				const answer = await lb.send(({ base, origin }) =>
					fetch(`${base}/projects/${target.id}/review/next`, {
						method: 'POST',
						headers: { 'content-type': 'application/json', origin, cookie },
						body: JSON.stringify({ skip: [] })
					})
				);
				if (answer.status !== 200) {
					refused.push(`claim ${answer.status}: ${await answer.text()}`);
					return;
				}
				const { next } = (await answer.json()) as { next: Claimed | null };
				await think();
				if (!next) continue;
				n += 1;
				const decision = n % 4 === 0 ? 'reject' : 'accept';
				const form = new URLSearchParams({
					exampleId: String(next.exampleId),
					revisionId: String(next.revisionId),
					submissionKey: next.submissionKey,
					rating: String(decision === 'accept' ? 4 : 2),
					decision
				});
				// A submit whose web process died is sent again, with the same key, to the other.
				const sent = await lb.send((server) => postSubmit(server, target.id, cookie, form));
				const body = await sent.text();
				if (sent.status === 200 && (JSON.parse(body) as { type: string }).type === 'success') {
					saved.push({ userId, revisionId: next.revisionId, decision });
				} else refused.push(`submit ${sent.status}: ${body.slice(0, 200)}`);
			}
		};
		// An annotator that stops on an error says why, among the refusals checked below.
		const annotators = cookies.map((one, i) =>
			annotate(one, i).catch((e: unknown) => refused.push(`annotator: ${(e as Error).message}`))
		);
		let held: string[] = [];
		let killedAt = 0;
		let savedAtKill = 0;
		try {
			// A good way in, one worker is frozen while it holds items, so that what it holds is read
			// while it can change nothing, and killed; one web process is killed at the same moment.
			const done = async () =>
				(
					await db
						.select({ n: count() })
						.from(jobItem)
						.where(and(eq(jobItem.jobId, jobId), eq(jobItem.status, 'done')))
				)[0]!.n;
			for (const until = Date.now() + 60_000; (await done()) < 600;) {
				expect(Date.now()).toBeLessThan(until);
				await new Promise((r) => setTimeout(r, 100));
			}
			held = await freezeHolding(db, jobId, doomedWorker.child);
			doomedServer.process.kill('SIGKILL');
			await doomedWorker.kill();
			killedAt = Date.now();
			savedAtKill = saved.length;

			await jobReaches(db, jobId, ['done'], 90_000);
			// The annotators go on a little on the one web process left, then stop.
			await new Promise((r) => setTimeout(r, 2000));
		} finally {
			annotating = false;
			await Promise.allSettled(annotators);
		}

		// The job: every item done once, by the workers together within its concurrency.
		const items = await itemsOf(db, jobId);
		expect(items.every((i) => i.status === 'done')).toBe(true);
		const made = await db.select().from(example).where(eq(example.jobId, jobId));
		expect(made).toHaveLength(ITEMS);
		expect(new Set(made.map((e) => e.input))).toEqual(new Set(inputs));
		expect(new Set(items.map((i) => i.exampleId)).size).toBe(ITEMS);
		expect(standin.stats.maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
		// An input was asked twice only when the killed worker held it: once before, once after.
		const callsOf = new Map<string, number[]>();
		for (const call of standin.chatCalls) {
			callsOf.set(call.input, [...(callsOf.get(call.input) ?? []), call.at]);
		}
		expect(callsOf.size).toBe(ITEMS);
		for (const [input, times] of callsOf) {
			if (times.length === 1) continue;
			expect(held).toContain(input);
			expect(times).toHaveLength(2);
			expect(times[0]).toBeLessThan(killedAt);
			expect(times[1]).toBeGreaterThanOrEqual(killedAt);
		}

		// The reviews: people worked before and after the kill, none was turned away, every
		// review a web process said it saved is there as it was sent, and rule 1 held throughout.
		expect([...lb.down].map((s) => servers.indexOf(s))).toEqual([servers.indexOf(doomedServer)]);
		expect(refused).toEqual([]);
		expect(savedAtKill).toBeGreaterThan(0);
		expect(saved.length).toBeGreaterThan(savedAtKill);
		const rows = await db.select().from(review);
		const stored = new Set(rows.map((r) => `${r.userId}:${r.revisionId}:${r.decision}`));
		const missing = saved.filter((s) => !stored.has(`${s.userId}:${s.revisionId}:${s.decision}`));
		expect(missing).toEqual([]);
		expect(await overlapBroken(db)).toEqual({ pastOverlap: [], reviewedTwice: [] });
	} finally {
		await standin.close();
	}
}, 300_000);
