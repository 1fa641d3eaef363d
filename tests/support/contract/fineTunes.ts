// The re-tune loop's contract calls: fine-tunes, judges and iterations, on a project of their
// own with forty accepted examples (some held out) and a provider on the stand-in.
import { createProject, addMember } from '../../../src/lib/server/projects';
import { importExamples } from '../../../src/lib/server/import';
import { freezeDataset } from '../../../src/lib/server/datasets';
import { fineTuneSpecOf, startFineTune } from '../../../src/lib/server/finetune';
import { startNextIteration } from '../../../src/lib/server/iterations';
import { createJudge, DEFAULT_RUBRIC } from '../../../src/lib/server/judges';
import { addModel, createProvider } from '../../../src/lib/server/providers';
import { datasetFilterSchema, fineTuneJsonSchema } from '../../../src/lib/schemas/dataset';
import {
	EVALUATION_SETTING_DEFAULTS,
	evaluationSettingsSchema
} from '../../../src/lib/schemas/iteration';
import { judgeFormSchema } from '../../../src/lib/schemas/judge';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../../src/lib/schemas/project';
import { acceptEverything, e2eSecretKey } from '../e2e';
import { startStandin, type Standin } from '../standin';
import type { AreaCalls, Call, Caller } from './calls';

// One stand-in for the run, left open: the server follows the fine-tunes and judge runs these
// calls start for as long as the suite runs.
let standin: Standin | undefined;

export const fineTuneCalls: AreaCalls = async ({ db, admin, member }) => {
	standin ??= await startStandin({ latencyMs: 5, fineTuneSeconds: 1, apiKey: 'sk-contract' });
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `Contract loop ${Date.now()}`,
			splitTrain: '70',
			splitVal: '0',
			splitTest: '30'
		}),
		admin.id
	);
	await addMember(db, project.id, member.id);
	async function* rows() {
		for (let i = 0; i < 40; i++) {
			yield `${JSON.stringify({ input: `Loop question ${i}?`, output: `Loop answer ${i}.` })}\n`;
		}
	}
	const imported = await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'loop.jsonl',
		userId: admin.id
	});
	if (!imported.ok) throw new Error('the loop project’s examples were not imported');
	await acceptEverything(db, project.id, member.id, `contract-loop-${project.id}`);
	const provider = await createProvider(db, e2eSecretKey(), {
		name: `Contract stand-in ${project.id}`,
		baseUrl: standin.url,
		apiKey: 'sk-contract',
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	const price = { inputPricePerMTok: 1, outputPricePerMTok: 2 };
	const teacher = await addModel(db, provider.id, { name: 'teacher-large', ...price });
	const student = await addModel(db, provider.id, { name: 'student-small', ...price });
	const frozen = await freezeDataset(
		db,
		project,
		'contract v1',
		datasetFilterSchema.parse({}),
		admin.id
	);
	if (!frozen.ok) throw new Error(frozen.message);
	const fineTune = { adapter: 'openai', providerId: provider.id, baseModel: 'base-small' };
	const spec = fineTuneSpecOf(
		fineTuneJsonSchema.parse({ ...fineTune, suffix: 'seeded', epochs: 2 })
	);
	const seeded = await startFineTune(db, project, frozen.datasetId, spec, admin.id);
	if (!seeded.ok) throw new Error(seeded.message);
	// An iteration already there, so the list shows one with its dataset's change and fine-tune.
	const iteration = await startNextIteration(db, project, admin.id, {
		name: 'contract seeded',
		filter: datasetFilterSchema.parse({}),
		fineTune: spec,
		evaluation: {
			splits: ['test'],
			settings: evaluationSettingsSchema.parse(EVALUATION_SETTING_DEFAULTS)
		}
	});
	if (!iteration.ok) throw new Error(iteration.message);
	const judge = await createJudge(
		db,
		project.id,
		judgeFormSchema.parse({
			name: 'Strict',
			modelId: String(teacher.id),
			rubric: DEFAULT_RUBRIC,
			temperature: ''
		}),
		admin.id
	);
	if (!judge.ok) throw new Error(judge.message);

	const id = project.id;
	/** The refusals every admin operation gives: a member, an outsider, no token. */
	const guarded = (params: Record<string, number>, body?: unknown): Call[] =>
		(
			[
				['member', 403],
				['outsider', 404],
				[null, 401]
			] as [Caller | null, number][]
		).map(([as, status]) => ({ as, params, ...(body === undefined ? {} : { body }), status }));
	const tuneParams = { id, fineTuneId: seeded.fineTuneId };
	const judgeParams = { id, judgeId: judge.judgeId };
	const compare = (query: Record<string, string>, status: number): Call => ({
		as: 'admin',
		params: { id },
		query,
		status
	});
	const started = { datasetId: frozen.datasetId, fineTune: { ...fineTune, epochs: 1 } };
	return {
		listFineTunes: [{ as: 'admin', params: { id }, status: 200 }, ...guarded({ id })],
		startFineTune: [
			{ as: 'admin', params: { id }, body: started, status: 201 },
			{ as: 'admin', params: { id }, body: { fineTune }, status: 400 },
			{
				as: 'admin',
				params: { id },
				body: { ...started, fineTune: { ...fineTune, learningRate: 0.001 } },
				status: 400
			},
			{ as: 'admin', params: { id }, body: { ...started, datasetId: 999_999_999 }, status: 400 },
			...guarded({ id }, started)
		],
		getFineTune: [
			{ as: 'admin', params: tuneParams, status: 200 },
			{ as: 'admin', params: { ...tuneParams, fineTuneId: 999_999_999 }, status: 404 },
			...guarded(tuneParams)
		],
		listJudges: [{ as: 'admin', params: { id }, status: 200 }, ...guarded({ id })],
		createJudge: [
			{ as: 'admin', params: { id }, body: { name: 'Kind', modelId: student.id }, status: 201 },
			{ as: 'admin', params: { id }, body: { name: 'Kind', modelId: student.id }, status: 409 },
			{
				as: 'admin',
				params: { id },
				body: { name: 'Unscaled', modelId: student.id, rubric: 'Rate it.' },
				status: 400
			},
			{ as: 'admin', params: { id }, body: { name: 'Lost', modelId: 999_999_999 }, status: 400 },
			{ as: 'admin', params: { id }, body: ['not', 'an', 'object'], status: 400 },
			...guarded({ id }, { name: 'Theirs', modelId: student.id })
		],
		getJudge: [
			{ as: 'admin', params: judgeParams, status: 200 },
			{ as: 'admin', params: { ...judgeParams, judgeId: 999_999_999 }, status: 404 },
			...guarded(judgeParams)
		],
		startJudgeRun: [
			{ as: 'admin', params: judgeParams, body: { selection: 'job' }, status: 400 },
			{ as: 'admin', params: judgeParams, body: { selection: 'everything' }, status: 400 },
			{ as: 'admin', params: judgeParams, body: { selection: 'pairwise' }, status: 400 },
			{
				as: 'admin',
				params: { ...judgeParams, judgeId: 999_999_999 },
				body: { selection: 'all' },
				status: 400
			},
			{ as: 'admin', params: judgeParams, body: { selection: 'all', concurrency: 2 }, status: 201 },
			...guarded(judgeParams, { selection: 'all' })
		],
		listIterations: [
			{ as: 'admin', params: { id }, status: 200 },
			{ as: 'admin', params: { id }, query: { scope: 'all' }, status: 200 },
			{ as: 'admin', params: { id }, query: { scope: 'everything' }, status: 400 },
			...guarded({ id })
		],
		startIteration: [
			{ as: 'admin', params: { id }, body: { name: 'contract v2', fineTune }, status: 201 },
			{ as: 'admin', params: { id }, body: { fineTune }, status: 400 },
			{
				as: 'admin',
				params: { id },
				body: { name: 'contract v3', fineTune, filter: { minReviews: -1 } },
				status: 400
			},
			{
				as: 'admin',
				params: { id },
				body: { name: 'contract v3', fineTune: { ...fineTune, epochs: 0 } },
				status: 400
			},
			{
				as: 'admin',
				params: { id },
				body: { name: 'contract v3', fineTune, evaluation: { settings: { temperature: 5 } } },
				status: 400
			},
			...guarded({ id }, { name: 'theirs', fineTune })
		],
		compareModels: [
			compare({ a: String(teacher.id), b: String(student.id) }, 200),
			compare({ a: String(teacher.id) }, 400),
			compare({ a: 'teacher', b: String(student.id) }, 400),
			{ as: 'member', params: { id }, query: { a: '1', b: '2' }, status: 403 },
			{ as: 'outsider', params: { id }, query: { a: '1', b: '2' }, status: 404 },
			{ as: null, params: { id }, query: { a: '1', b: '2' }, status: 401 }
		]
	};
};
