import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { example, project } from '../../src/lib/server/db/schema';
import { importExamples } from '../../src/lib/server/import';
import { claimNext, QUEUE_COUNT_CAP, queueProgress } from '../../src/lib/server/queue';
import { queueSettingsOf, updateQueueSettings } from '../../src/lib/server/queuePriority';
import { queueSettingsSchema } from '../../src/lib/schemas/queueSettings';
import { makeProject, makeUser, T0 } from '../support/fixtures';
import { testDb } from '../support/database';

async function setup() {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id);
	async function* rows() {
		yield '{"input": "plain", "output": "a"}\n';
		yield '{"input": "urgent", "output": "b", "tags": ["urgent"]}\n';
	}
	await importExamples(db, target, {
		source: rows(),
		format: 'jsonl',
		filename: 'q.jsonl',
		userId: admin.id
	});
	return { db, admin, target };
}

describe('queue settings', () => {
	it('reads the form, refusing a lease outside 1–240 minutes', () => {
		const good = queueSettingsSchema.parse({
			leaseMinutes: '15',
			queueOrder: 'random',
			priorityTag: ' urgent ',
			repairerReviewCounts: 'on',
			goldPercent: '10',
			auditPercent: '10'
		});
		expect(good).toEqual({
			leaseMinutes: 15,
			queueOrder: 'random',
			priorityTag: 'urgent',
			repairerReviewCounts: true,
			goldPercent: 10,
			auditPercent: 10
		});
		const bad = queueSettingsSchema.safeParse({
			leaseMinutes: '0',
			queueOrder: 'oldest',
			priorityTag: '',
			repairerReviewCounts: '',
			goldPercent: '51',
			auditPercent: '0'
		});
		expect(bad.success).toBe(false);
		expect(bad.error && Object.keys(bad.error.flatten().fieldErrors).sort()).toEqual([
			'auditPercent',
			'goldPercent',
			'leaseMinutes'
		]);
	});

	it('saves the settings, and the priority tag changes what the queue serves first', async () => {
		const { db, admin, target } = await setup();
		const annotator = await makeUser(db, 'annotator');
		await updateQueueSettings(
			db,
			target.id,
			{
				leaseMinutes: 3,
				queueOrder: 'oldest',
				priorityTag: 'urgent',
				repairerReviewCounts: true,
				goldPercent: 5,
				auditPercent: 15
			},
			T0
		);

		const saved = (await db.select().from(project).where(eq(project.id, target.id)).limit(1))[0]!;
		expect(queueSettingsOf(saved)).toEqual({
			leaseMinutes: 3,
			queueOrder: 'oldest',
			priorityTag: 'urgent',
			repairerReviewCounts: true,
			goldPercent: 5,
			auditPercent: 15
		});
		expect(saved.goldRate).toBe(0.05);
		expect(saved.auditShare).toBe(0.15);
		const first = (await claimNext(db, target.id, annotator.id, T0))!;
		expect(first.input).toBe('urgent');
		expect(first.leaseExpiresAt).toEqual(new Date(T0.getTime() + 3 * 60_000));

		await updateQueueSettings(db, target.id, { ...queueSettingsOf(saved), priorityTag: '' }, T0);
		const priorities = await db
			.select({ input: example.input, priority: example.priority })
			.from(example);
		expect(priorities.every((p) => p.priority === 0)).toBe(true);
		expect((await claimNext(db, target.id, admin.id, T0))!.input).toBe('plain');
	});
});

describe('queue progress', () => {
	it('counts the queue exactly up to the cap, then says there are more', async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id);
		async function* rows() {
			for (let i = 0; i <= QUEUE_COUNT_CAP; i++) yield `{"input": "q${i}", "output": "a"}\n`;
		}
		await importExamples(db, target, {
			source: rows(),
			format: 'jsonl',
			filename: 'q.jsonl',
			userId: admin.id
		});
		expect(await queueProgress(db, target.id, admin.id, T0)).toEqual({
			reviewedToday: 0,
			leftForYou: QUEUE_COUNT_CAP,
			moreThanCap: true
		});
	});
});
