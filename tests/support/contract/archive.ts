// Archiving and restoring a project, and the starts an archived project refuses. Each uses a
// small project of its own, so the shared one stays open and the order the calls run in
// does not matter.
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../../src/lib/schemas/project';
import {
	addMember,
	archiveProject,
	createProject,
	type ArchiveResult
} from '../../../src/lib/server/projects';
import type { AreaCalls, Call } from './calls';

function archived(result: ArchiveResult) {
	if (!result.ok) throw new Error(result.message);
	return result.project;
}

export const archiveCalls: AreaCalls = async ({ db, admin, member }) => {
	const made = async (name: string) => {
		const values = { ...DEFAULT_PROJECT_VALUES, name: `${name} ${Date.now()}` };
		const created = await createProject(db, projectSchema.parse(values), admin.id);
		await addMember(db, created.id, member.id);
		return created;
	};
	const toArchive = await made('To archive');
	const toRestore = archived(await archiveProject(db, (await made('To restore')).id));
	const shelved = archived(await archiveProject(db, (await made('Shelved')).id));
	const each = (id: number, good: number, again: number): Call[] => [
		{ as: 'admin', params: { id }, status: good },
		{ as: 'admin', params: { id }, status: again },
		{ as: 'member', params: { id }, status: 403 },
		{ as: 'outsider', params: { id }, status: 404 },
		{ as: null, params: { id }, status: 401 }
	];
	// Refused before the body is read: no work starts in an archived project, whatever is asked.
	const refusedStart = (params: Record<string, number> = {}): Call[] => [
		{ as: 'admin', params: { id: shelved.id, ...params }, body: {}, status: 409 }
	];
	return {
		archiveProject: each(toArchive.id, 200, 409),
		restoreProject: each(toRestore.id, 200, 409),
		startJob: refusedStart(),
		startEvaluation: refusedStart(),
		startFineTune: refusedStart(),
		startIteration: refusedStart(),
		startJudgeRun: refusedStart({ judgeId: 1 }),
		// Its queue serves nothing, and says why rather than seeming empty.
		claimExample: [{ as: 'member', params: { id: shelved.id }, status: 409 }]
	};
};
