import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { job, jobItem } from '$lib/server/db/schema';
import { callsInFlight, timeLeftFromCalls } from '$lib/server/jobs';
import { makeProject, makeUser, T0 } from '../support/fixtures';
import { itemsOf, jobRow, standinProvider, startJob } from '../support/jobs';
import { testDb } from '../support/database';

const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('calls in flight', () => {
	it('works time left out from the calls at once and how long a call takes', () => {
		// 10 waiting, 2 at once, 4 s a call: 20 s, and the two in flight (1 and 3 s old, so 2 s
		// at the median) need 2 s more.
		expect(timeLeftFromCalls(10, [1, 3], 4)).toBe(22);
		// A call older than the usual time is about to finish: nothing is added for it.
		expect(timeLeftFromCalls(0, [9], 4)).toBe(0);
		expect(timeLeftFromCalls(10, [], 4)).toBeNull();
		expect(timeLeftFromCalls(10, [1], null)).toBeNull();
	});

	it("lists a running job's calls oldest first, with their attempt and age", async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id);
		const { modelId } = await standinProvider(db, 'http://127.0.0.1:9/v1');
		const jobId = await startJob(
			db,
			target,
			admin.id,
			[modelId],
			Array.from({ length: 10 }, (_, i) => `question ${i}`)
		);
		const ids = (await itemsOf(db, jobId)).map((i) => i.id).sort((a, b) => a - b);
		await db.transaction(async (tx) => {
			await tx.update(job).set({ status: 'running', startedAt: T0 }).where(eq(job.id, jobId));
			for (const [n, latencyMs] of [2000, 4000, 6000].entries()) {
				await tx
					.update(jobItem)
					.set({ status: 'done', latencyMs, finishedAt: at(10) })
					.where(eq(jobItem.id, ids[n]));
			}
			await tx
				.update(jobItem)
				.set({ status: 'running', startedAt: at(19), attempts: 0 })
				.where(eq(jobItem.id, ids[3]));
			await tx
				.update(jobItem)
				.set({ status: 'running', startedAt: at(17), attempts: 2 })
				.where(eq(jobItem.id, ids[4]));
			await tx
				.update(jobItem)
				.set({ status: 'cancelled' })
				.where(inArray(jobItem.id, ids.slice(8)));
		});

		const seen = await callsInFlight(db, await jobRow(db, jobId), at(20));
		expect(seen.calls).toEqual([
			{ id: ids[4], input: 'question 4', attempts: 2, ageSeconds: 3 },
			{ id: ids[3], input: 'question 3', attempts: 0, ageSeconds: 1 }
		]);
		expect(seen.medianLatencySeconds).toBe(4);
		// 3 waiting over 2 calls at 4 s each, and 2 s more for the calls in flight.
		expect(seen.etaSeconds).toBe(8);

		// A paused job is not counting down.
		await db.transaction(async (tx) =>
			tx.update(job).set({ status: 'paused' }).where(eq(job.id, jobId))
		);
		expect((await callsInFlight(db, await jobRow(db, jobId), at(20))).etaSeconds).toBeNull();
	});
});
