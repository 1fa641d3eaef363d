import { count, eq } from 'drizzle-orm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDb, createMigratedDb, type Db } from '$lib/server/db';
import { dataset, datasetItem, example } from '$lib/server/db/schema';
import {
	discardAbandonedFreezes,
	freezeDataset,
	getDataset,
	latestDataset,
	listDatasets
} from '$lib/server/datasets';
import { insertRows, type ImportRow } from '$lib/server/import';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import { betweenSlices, makeProject, makeUser, T0 } from '../support/fixtures';

// Freezing a large dataset is written in short transactions so that nobody waits behind it,
// yet no reader sees a dataset before all of it is there, while it runs or after a crash.

const EXAMPLES = 5000;
const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setup() {
	const dir = mkdtempSync(join(tmpdir(), 'winnow-freeze-'));
	dirs.push(dir);
	const db = await createMigratedDb(join(dir, 'winnow.db'));
	const admin = await makeUser(db, 'admin');
	const project = await makeProject(db, admin.id);
	const rows: ImportRow[] = Array.from({ length: EXAMPLES }, (_, i) => ({
		line: i + 1,
		externalId: `q${i}`,
		input: `Question ${i}`,
		output: `Answer ${i}`,
		tags: []
	}));
	await insertRows(db, project, rows, {
		userId: admin.id,
		filename: 'seed.jsonl',
		format: 'jsonl',
		rowsRead: EXAMPLES
	});
	// Reviewing five thousand examples one by one would only slow the test down: they are
	// marked accepted with a final rating of 5, as their reviews would have left them.
	await db.transaction(async (tx) =>
		tx
			.update(example)
			.set({
				status: 'accepted',
				finalRating: 5,
				finalDecision: 'accept',
				reviewCount: 1,
				claimable: false
			})
			.where(eq(example.projectId, project.id))
	);
	return { db, dir, admin, project };
}

const filter = datasetFilterSchema.parse({});
const stored = async (db: Db) => ({
	datasets: (await db.select({ n: count() }).from(dataset).limit(1))[0]!.n,
	items: (await db.select({ n: count() }).from(datasetItem).limit(1))[0]!.n
});

describe('freezing a large dataset', () => {
	it('lets other work run while it writes, and no reader sees the dataset before it is whole', async () => {
		const { db, admin, project } = await setup();
		let turnsWhileFreezing = 0;
		const { result: frozen } = await betweenSlices(
			freezeDataset(db, project, 'big', filter, admin.id, T0),
			async () => {
				const written = (await db.select({ id: dataset.id }).from(dataset).limit(1))[0];
				if (!written) return;
				turnsWhileFreezing += 1;
				expect(await listDatasets(db, project.id)).toEqual([]);
				expect(await latestDataset(db, project.id)).toBeUndefined();
				expect(await getDataset(db, project.id, written.id)).toBeUndefined();
			}
		);

		expect(frozen).toMatchObject({ ok: true });
		expect(turnsWhileFreezing).toBeGreaterThan(2);
		if (!frozen.ok) return;
		const total = frozen.counts.train + frozen.counts.val + frozen.counts.test;
		expect(total).toBe(EXAMPLES);
		expect(await getDataset(db, project.id, frozen.datasetId)).toMatchObject({
			state: 'frozen',
			trainCount: frozen.counts.train,
			contentHash: frozen.contentHash
		});
		expect(await stored(db)).toEqual({ datasets: 1, items: EXAMPLES });
	});

	it('hashes what a freeze in one go would: the same examples give the same hash', async () => {
		const { db, admin, project } = await setup();
		const first = await freezeDataset(db, project, 'one', filter, admin.id, T0);
		const second = await freezeDataset(db, project, 'two', filter, admin.id, T0);
		expect(first.ok && second.ok).toBe(true);
		if (!first.ok || !second.ok) return;
		expect(second.contentHash).toBe(first.contentHash);
		expect((await latestDataset(db, project.id))?.id).toBe(second.datasetId);
		expect((await latestDataset(db, project.id))?.previousDatasetId).toBe(first.datasetId);
	});

	it('leaves no dataset anyone sees when its process dies half way, and it goes at the next start', async () => {
		const { db, dir, admin, project } = await setup();
		const crashed = join(dir, 'crashed.db');
		let copied = false;
		await betweenSlices(freezeDataset(db, project, 'big', filter, admin.id, T0), async () => {
			if ((await stored(db)).items === 0) return;
			db.$client.exec(`vacuum into '${crashed}'`);
			return (copied = true);
		});
		expect(copied).toBe(true);

		const after = createDb(crashed);
		expect((await stored(after)).datasets).toBe(1);
		expect((await stored(after)).items).toBeGreaterThan(0);
		expect(await listDatasets(after, project.id)).toEqual([]);
		expect(await latestDataset(after, project.id)).toBeUndefined();

		expect(await discardAbandonedFreezes(after, new Date())).toBe(1);
		expect(await stored(after)).toEqual({ datasets: 0, items: 0 });
		after.$client.close();
	});
});
