import { eq, lt, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { example, judge, revision } from '$lib/server/db/schema';
import { createJudge, DEFAULT_RUBRIC, deleteJudge, exampleJudgments } from '$lib/server/judges';
import { saveJudgment } from '$lib/server/judges/run';
import { refreshTriage, UNJUDGED } from '$lib/server/judges/triage';
import { auditEstimates } from '$lib/server/judges/audit';
import { predictionPoweredShare } from '$lib/server/judges/estimates';
import { addMember, updateProject } from '$lib/server/projects';
import { auditCut, claimNext, skipExample } from '$lib/server/queue';
import { queueSettingsOf, updateQueueSettings } from '$lib/server/queuePriority';
import { submitReview } from '$lib/server/reviews';
import { getProject } from '$lib/server/projects';
import { mulberry32 } from '$lib/random';
import { markGold } from '$lib/server/gold';
import type { Db } from '$lib/server/db';
import {
	importRows,
	makeProject,
	makeUser,
	projectInput,
	reviewSubmission,
	T0
} from '../support/fixtures';
import { standinProvider } from '../support/jobs';
import { testDb } from '../support/database';

const NEVER_AUDIT = 1;

async function setup(rows: number, auditPercent = 10) {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const annotator = await makeUser(db, 'annotator');
	const created = await makeProject(db, admin.id);
	await addMember(db, created.id, annotator.id);
	await importRows(
		db,
		created,
		Array.from({ length: rows }, (_, i) => ({ input: `question ${i}`, output: `answer ${i}` }))
	);
	await updateQueueSettings(
		db,
		created.id,
		{ ...queueSettingsOf(created), queueOrder: 'judged', auditPercent },
		T0
	);
	const target = (await getProject(db, created.id))!;
	const { modelId } = await standinProvider(db, 'http://127.0.0.1:9/v1');
	const made = async (name: string) => {
		const result = await createJudge(
			db,
			target.id,
			{ name, modelId, rubric: DEFAULT_RUBRIC, withReference: false, temperature: 0 },
			admin.id
		);
		if (!result.ok) throw new Error(result.message);
		return result.judgeId;
	};
	return { db, admin, annotator, target, made };
}

async function outputs(db: Db) {
	return await db
		.select({ id: example.id, input: example.input, revisionId: example.currentRevisionId })
		.from(example)
		.orderBy(example.id);
}

async function outsideAuditSample(db: Db, cut: number) {
	await db.transaction((tx) => tx.update(example).set({ randomKey: sql`${cut} + ${example.id}` }));
}

async function rate(db: Db, judgeId: number, revisionId: number, rating: number) {
	await db.transaction((tx) =>
		saveJudgment(
			tx,
			judgeId,
			revisionId,
			{ ok: true, rating, rationale: `Rated ${rating}.`, requirements: {} },
			T0
		)
	);
}

describe('the judge-guided queue', () => {
	it('serves a trusted judge’s fails first, then doubtful outputs, then unjudged, then clear passes', async () => {
		const { db, annotator, target, made } = await setup(8);
		// None in the audit sample here: the order of the rest is what is tested.
		await outsideAuditSample(db, auditCut(target.auditShare));
		const strict = await made('Strict');
		const second = await made('Second opinion');
		await db.transaction((tx) =>
			tx.update(judge).set({ trusted: true }).where(eq(judge.id, strict))
		);
		const [a, b, c, d, e, , g] = await outputs(db);
		await rate(db, strict, a.revisionId!, 5); // a clear pass
		await rate(db, strict, b.revisionId!, 2); // a trusted judge fails it
		await rate(db, second, c.revisionId!, 1); // a judge not yet trusted fails it
		await rate(db, strict, d.revisionId!, 4); // at the threshold's edge
		await rate(db, strict, e.revisionId!, 5); // the judges disagree
		await rate(db, second, e.revisionId!, 3);
		await rate(db, strict, g.revisionId!, 1); // failed hardest by the trusted judge
		// f and h are left unjudged.

		const served: string[] = [];
		for (;;) {
			const next = await claimNext(db, target.id, annotator.id, T0, [], undefined, 1, NEVER_AUDIT);
			if (!next) break;
			served.push(next.input.replace('question ', ''));
			await skipExample(db, target.id, annotator.id, next.exampleId, T0);
		}
		expect(served).toEqual(['6', '1', '2', '4', '3', '5', '7', '0']);
	});

	it('re-keys the queue when a judge is deleted or the threshold moves', async () => {
		const { db, target, made } = await setup(2);
		const strict = await made('Strict');
		const [edge, failed] = await outputs(db);
		await rate(db, strict, edge.revisionId!, 4);
		await rate(db, strict, failed.revisionId!, 1);
		const keys = async () =>
			(await db.select({ triage: example.triage }).from(example).orderBy(example.id)).map(
				(e) => e.triage
			);
		// 4 stars at a threshold of 4 is the edge; 1 star a fail (the judge is not trusted yet).
		expect(await keys()).toEqual([26, 29]);
		await updateProject(db, target.id, projectInput({ threshold: 3 }), T0);
		expect(await keys()).toEqual([6, 29]);
		expect(await deleteJudge(db, target.id, strict)).toBe(true);
		expect(await keys()).toEqual([UNJUDGED, UNJUDGED]);
	});

	it('still mixes gold in, at the project’s gold rate, whatever the judges say', async () => {
		const { db, annotator, target, made } = await setup(6);
		await outsideAuditSample(db, auditCut(target.auditShare));
		const strict = await made('Strict');
		const [failed, , , , , gold] = await outputs(db);
		await rate(db, strict, failed.revisionId!, 1);
		const marked = await markGold(db, target.id, gold.id, 5, T0);
		expect(marked.ok).toBe(true);
		await updateQueueSettings(
			db,
			target.id,
			{ ...queueSettingsOf((await getProject(db, target.id))!), goldPercent: 50 },
			T0
		);
		// A gold roll under the rate serves the gold example; over it, the judge's fail.
		const served = await claimNext(db, target.id, annotator.id, T0, [], undefined, 0.1, 1);
		expect(served!.exampleId).toBe(gold.id);
		await skipExample(db, target.id, annotator.id, gold.id, T0);
		const next = await claimNext(db, target.id, annotator.id, T0, [], undefined, 0.9, 1);
		expect(next!.exampleId).toBe(failed.id);
	});

	it('a repair leaves the old judgment behind: the repair waits as unjudged, and no judgment is current', async () => {
		const { db, annotator, target, made } = await setup(3);
		await outsideAuditSample(db, auditCut(target.auditShare));
		const strict = await made('Strict');
		const [, failed] = await outputs(db);
		await rate(db, strict, failed.revisionId!, 1);
		const before = await exampleJudgments(db, target, failed.id);
		expect(before.current.map((j) => [j.judgeName, j.rating, j.revisionNumber])).toEqual([
			['Strict', 1, 1]
		]);
		expect(before.audit).toBe(false);

		const claimed = (await claimNext(db, target.id, annotator.id, T0, [], undefined, 1, 1))!;
		expect(claimed.exampleId).toBe(failed.id);
		const repaired = await submitReview(
			db,
			target.id,
			annotator.id,
			reviewSubmission(claimed, { decision: 'repair', rating: 2, output: 'a better answer' }),
			T0
		);
		expect(repaired.ok).toBe(true);

		const after = await exampleJudgments(db, target, failed.id);
		expect(after.current).toEqual([]);
		expect(after.earlier.map((j) => [j.judgeName, j.rating, j.revisionNumber])).toEqual([
			['Strict', 1, 1]
		]);
		const row = (await db.select().from(example).where(eq(example.id, failed.id)))[0]!;
		expect(row.triage).toBe(UNJUDGED);
		// Re-keying from the judgments agrees: the old revision's rating no longer counts.
		await db.transaction((tx) => refreshTriage(tx, target.id));
		const again = (await db.select().from(example).where(eq(example.id, failed.id)))[0]!;
		expect(again.triage).toBe(UNJUDGED);
		const revisions = await db
			.select({ number: revision.number })
			.from(revision)
			.where(eq(revision.exampleId, failed.id))
			.orderBy(revision.number);
		expect(revisions.map((r) => r.number)).toEqual([1, 2]);
	});

	it('serves the audit sample on its share of claims, within the binomial interval over 2,000 claims', async () => {
		const { db, annotator, target, made } = await setup(3000, 10);
		const strict = await made('Strict');
		// The judge fails a third of the outputs, so the guided order differs from random.
		for (const one of (await outputs(db)).filter((_, i) => i % 3 === 0)) {
			await rate(db, strict, one.revisionId!, 1);
		}
		const cut = auditCut(target.auditShare);
		const inSample = await db
			.select({ n: sql<number>`count(*)` })
			.from(example)
			.where(lt(example.randomKey, cut));
		expect(Number(inSample[0].n)).toBeGreaterThan(250);

		const random = mulberry32(2027);
		const keys = new Map(
			(await db.select({ id: example.id, key: example.randomKey }).from(example)).map((r) => [
				r.id,
				r.key
			])
		);
		const auditKeys: number[] = [];
		let claims = 0;
		for (; claims < 2000; claims++) {
			const roll = random();
			const next = (await claimNext(db, target.id, annotator.id, T0, [], undefined, 1, roll))!;
			const audited = keys.get(next.exampleId)! < cut;
			// Both pools still hold work, so the roll alone decides which one serves.
			expect(audited).toBe(roll < target.auditShare);
			if (audited) auditKeys.push(keys.get(next.exampleId)!);
			// Reviewed, so it leaves the queue (a skipped one would stay, for others).
			const done = await submitReview(db, target.id, annotator.id, reviewSubmission(next), T0);
			expect(done.ok).toBe(true);
		}
		// Binomial(2000, 0.10): mean 200, 99% interval ±2.576·√(2000·0.1·0.9) ≈ ±34.6.
		const halfWidth = 2.576 * Math.sqrt(claims * 0.1 * 0.9);
		expect(Math.abs(auditKeys.length - claims * 0.1)).toBeLessThanOrEqual(halfWidth);
		// Each output served from the sample is marked so, and no other.
		const marked = await db
			.select({ n: sql<number>`count(*)` })
			.from(example)
			.where(eq(example.audited, true));
		expect(Number(marked[0].n)).toBe(auditKeys.length);
		// Plain random order: the sample is served by its random key, whatever the judge said.
		expect(auditKeys).toEqual([...auditKeys].sort((x, y) => x - y));
	});

	it('estimates the acceptance rate and each judge’s errors from the audit sample alone', async () => {
		const { db, annotator, target, made } = await setup(10);
		const cut = auditCut(target.auditShare);
		const all = await outputs(db);
		// The first six are the audit sample; the last four are not.
		await db.transaction(async (tx) => {
			for (const [i, one] of all.entries()) {
				await tx
					.update(example)
					.set({ randomKey: i < 6 ? i : cut + i })
					.where(eq(example.id, one.id));
			}
		});
		const strict = await made('Strict');
		for (const [i, one] of all.entries()) await rate(db, strict, one.revisionId!, i < 2 ? 1 : 5);
		// People: in the sample 0 ✗, 1 ✓, 2 ✗, 3 ✓, 4 ✓ and 5 not yet; outside 6, 7, 8 ✗.
		const verdicts = new Map(
			[0, 1, 2, 3, 4, 6, 7, 8].map((i) => [all[i].id, [1, 3, 4].includes(i)])
		);
		for (;;) {
			const next = await claimNext(db, target.id, annotator.id, T0, [], undefined, 1, 1);
			if (!next) break;
			const accept = verdicts.get(next.exampleId);
			if (accept === undefined) {
				await skipExample(db, target.id, annotator.id, next.exampleId, T0);
				continue;
			}
			const done = await submitReview(
				db,
				target.id,
				annotator.id,
				reviewSubmission(next, accept ? {} : { rating: 1, decision: 'reject' }),
				T0
			);
			expect(done.ok).toBe(true);
		}

		const estimates = await auditEstimates(db, target);
		expect(estimates.members).toBe(6);
		// All six were served from the sample once the rest was done; one was skipped.
		expect(estimates.served).toBe(6);
		expect(estimates.settled).toBe(5);
		expect(estimates.disputed).toBe(0);
		expect(estimates.accepted).toMatchObject({ share: 0.6, of: 5 });
		expect(estimates.accepted!.low).toBeLessThan(0.6);
		expect(estimates.allSettled).toEqual({ accepted: 3, of: 8 });
		const [measured] = estimates.judges;
		expect(measured.rated).toBe(5);
		expect(measured.missedRejects).toMatchObject({ share: 0.5, of: 2 });
		expect(measured.failedAccepts).toMatchObject({ share: 1 / 3, of: 3 });
		expect(measured.predictionPowered).toEqual(
			predictionPoweredShare({
				judgeOnly: [1, 1, 1, 1, 1],
				both: [
					{ judge: 0, human: 0 },
					{ judge: 0, human: 1 },
					{ judge: 1, human: 0 },
					{ judge: 1, human: 1 },
					{ judge: 1, human: 1 }
				]
			})
		);
	});
});
