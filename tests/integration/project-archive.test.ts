import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { fineTune, job } from '$lib/server/db/schema';
import { controlJob } from '$lib/server/jobs';
import { createRun } from '$lib/server/jobs/synthetic';
import { startFineTune } from '$lib/server/finetune';
import {
	addMember,
	archiveProject,
	getProject,
	listProjectsForUser,
	PROJECT_ARCHIVED,
	ProjectArchivedError,
	restoreProject
} from '$lib/server/projects';
import { claimNext, liveLeases } from '$lib/server/queue';
import { importRows, makeProject, makeUser, minutesAfter, T0 } from '../support/fixtures';
import { standinProvider, startJob } from '../support/jobs';
import { testDb } from '../support/database';

const later = minutesAfter(5);

async function setup() {
	const db = await testDb();
	const admin = await makeUser(db, 'admin', 'root');
	const annotator = await makeUser(db, 'annotator', 'ann');
	const target = await makeProject(db, admin.id, { name: 'Support replies' });
	await addMember(db, target.id, annotator.id);
	await importRows(db, target, [{ input: 'a question', output: 'an answer' }]);
	return { db, admin, annotator, target };
}

describe('archiving a project', () => {
	it('archives and restores it once each, stamping when', async () => {
		const { db, target } = await setup();
		const archived = await archiveProject(db, target.id, later);
		expect(archived.ok && archived.project.archivedAt).toEqual(later);
		expect(await archiveProject(db, target.id, later)).toEqual({
			ok: false,
			message: 'This project is archived already.'
		});
		const restored = await restoreProject(db, target.id, minutesAfter(6));
		expect(restored.ok && restored.project.archivedAt).toBeNull();
		expect(await restoreProject(db, target.id, minutesAfter(7))).toEqual({
			ok: false,
			message: 'This project is not archived.'
		});
	});

	it('ends the leases held in it, so no review lands in the closed queue', async () => {
		const { db, annotator, target } = await setup();
		const claimed = (await claimNext(db, target.id, annotator.id, T0))!;
		expect((await liveLeases(db, claimed.exampleId, T0)).length).toBe(1);
		expect((await archiveProject(db, target.id, minutesAfter(1))).ok).toBe(true);
		expect(await liveLeases(db, claimed.exampleId, minutesAfter(1))).toEqual([]);
	});

	it('is refused while a job of the project runs, and allowed once it is paused', async () => {
		const { db, admin, target } = await setup();
		const { modelId } = await standinProvider(db, 'http://127.0.0.1:9');
		const jobId = await startJob(db, target, admin.id, [modelId], ['one input']);
		expect(await archiveProject(db, target.id, later)).toEqual({
			ok: false,
			message: 'Pause or cancel its running jobs first.'
		});
		expect((await getProject(db, target.id))!.archivedAt).toBeNull();
		expect(await controlJob(db, target.id, jobId, 'pause', later)).toEqual({ ok: true });
		expect((await archiveProject(db, target.id, later)).ok).toBe(true);
		// A paused job does not resume in an archived project.
		expect(await controlJob(db, target.id, jobId, 'resume', later)).toEqual({
			ok: false,
			message: PROJECT_ARCHIVED
		});
		const [row] = await db.select().from(job).where(eq(job.id, jobId));
		expect(row.status).toBe('paused');
	});

	it('leaves the project out of the list unless archived ones are asked for', async () => {
		const { db, admin, annotator, target } = await setup();
		const other = await makeProject(db, admin.id, { name: 'Other' });
		await archiveProject(db, target.id, later);
		const names = async (viewer: typeof admin, archived?: boolean) =>
			(await listProjectsForUser(db, viewer, { archived })).map((p) => p.name);
		expect(await names(admin)).toEqual([other.name]);
		expect(await names(admin, true)).toEqual([target.name]);
		expect(await names(annotator)).toEqual([]);
		expect(await names(annotator, true)).toEqual([target.name]);
		await restoreProject(db, target.id, later);
		expect(await names(admin)).toEqual([other.name, target.name]);
		expect(await names(admin, true)).toEqual([]);
	});

	it('makes the queue serve nothing, not even a lease still held, until restored', async () => {
		const { db, annotator, target } = await setup();
		const held = await claimNext(db, target.id, annotator.id, T0);
		expect(held).not.toBeNull();
		await archiveProject(db, target.id, later);
		expect(await claimNext(db, target.id, annotator.id, minutesAfter(6))).toBeNull();
		await restoreProject(db, target.id, minutesAfter(7));
		expect((await claimNext(db, target.id, annotator.id, minutesAfter(8)))?.exampleId).toBe(
			held!.exampleId
		);
	});

	it('refuses to start new work in it, and writes none', async () => {
		const { db, admin, target } = await setup();
		const { providerId, modelId } = await standinProvider(db, 'http://127.0.0.1:9');
		await archiveProject(db, target.id, later);
		await expect(startJob(db, target, admin.id, [modelId], ['an input'])).rejects.toThrow(
			ProjectArchivedError
		);
		await expect(
			createRun(
				db,
				target.id,
				{ modelId, rootTopic: 'x', guidance: '', breadth: 2, depth: 1, inputsPerLeaf: 1 },
				admin.id
			)
		).rejects.toThrow(PROJECT_ARCHIVED);
		await expect(
			startFineTune(
				db,
				target,
				1,
				{
					adapter: 'openai',
					providerId,
					baseModel: 'base-small',
					suffix: null,
					hyperparameters: { epochs: 1, batchSize: 1, learningRateMultiplier: 1 }
				},
				admin.id
			)
		).rejects.toThrow(ProjectArchivedError);
		expect(await db.select().from(job)).toEqual([]);
		expect(await db.select().from(fineTune)).toEqual([]);
		await restoreProject(db, target.id, later);
		expect(await startJob(db, target, admin.id, [modelId], ['an input'])).toBeGreaterThan(0);
	});
});
