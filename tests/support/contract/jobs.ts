// The jobs area's contract calls: distillation jobs and evaluation runs on a stand-in provider,
// which the e2e server's runner really calls; closed once every call is made.
import { createJob } from '../../../src/lib/server/jobs';
import { startEvaluation } from '../../../src/lib/server/iterations';
import { addModel, createProvider } from '../../../src/lib/server/providers';
import { JOB_SETTING_DEFAULTS, jobSettingsSchema } from '../../../src/lib/schemas/job';
import {
	EVALUATION_SETTING_DEFAULTS,
	evaluationSettingsSchema
} from '../../../src/lib/schemas/iteration';
import { e2eSecretKey } from '../e2e';
import { startStandin } from '../standin';
import type { AreaCalls, Call } from './calls';
import { frozenDataset, refusals, reviewedProject } from './datasets';

const NOWHERE = 999_999_999;

export const jobCalls: AreaCalls = async (context) => {
	const { db, admin } = context;
	const standin = await startStandin({ latencyMs: 5, apiKey: 'sk-contract' });
	context.afterwards(() => standin.close());
	const provider = await createProvider(db, e2eSecretKey(), {
		name: `Contract stand-in ${Date.now()}`,
		baseUrl: standin.url,
		apiKey: 'sk-contract',
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	const teacher = await addModel(db, provider.id, {
		name: 'teacher-large',
		inputPricePerMTok: 1,
		outputPricePerMTok: 2
	});
	const project = await reviewedProject(context, 'Contract jobs');
	const datasetId = await frozenDataset(context, project, 'contract evaluation');
	const jobId = await createJob(db, project, admin.id, {
		modelIds: [teacher.id],
		settings: jobSettingsSchema.parse(JOB_SETTING_DEFAULTS),
		inputs: ['Where is my parcel?'],
		source: { kind: 'file', filename: 'contract.jsonl' }
	});
	const evaluated = await startEvaluation(db, project, admin.id, {
		modelIds: [teacher.id],
		datasetId,
		splits: ['test'],
		settings: evaluationSettingsSchema.parse(EVALUATION_SETTING_DEFAULTS)
	});
	if (!evaluated.ok) throw new Error(evaluated.message);

	const id = project.id;
	const bad = (body: unknown): Call => ({ as: 'admin', params: { id }, body, status: 400 });
	const job = { modelIds: [teacher.id], inputs: ['Can I pay later?'] };
	const evaluation = { modelIds: [teacher.id], datasetId };
	return {
		listJobs: [{ as: 'admin', params: { id }, status: 200 }, ...refusals({ id })],
		startJob: [
			{
				as: 'admin',
				params: { id },
				body: { ...job, settings: { temperature: 0.2, maxTokens: null, reasoning: false } },
				status: 201
			},
			{ as: 'admin', params: { id }, body: { ...job, settings: { fewShot: '1' } }, status: 201 },
			bad({ modelIds: [], inputs: [] }),
			bad({ ...job, settings: { temperature: 5 } }),
			bad({ ...job, settings: { temperature: true } }),
			bad({ ...job, settings: { invalidOutputs: 'keep' } }),
			bad({ ...job, settings: 'hot' }),
			bad({ ...job, modelIds: [NOWHERE] }),
			bad({ ...job, judgeId: NOWHERE }),
			...refusals({ id }, job)
		],
		getJob: [
			{ as: 'admin', params: { id, jobId }, status: 200 },
			{ as: 'admin', params: { id, jobId: NOWHERE }, status: 404 },
			...refusals({ id, jobId })
		],
		listEvaluations: [{ as: 'admin', params: { id }, status: 200 }, ...refusals({ id })],
		startEvaluation: [
			{ as: 'admin', params: { id }, body: evaluation, status: 201 },
			{
				as: 'admin',
				params: { id },
				body: { ...evaluation, splits: ['test', 'train'], settings: { temperature: '0.1' } },
				status: 201
			},
			bad({}),
			bad({ ...evaluation, splits: ['holdout'] }),
			bad({ ...evaluation, splits: ['val'] }),
			bad({ ...evaluation, settings: { timeoutSeconds: 1 } }),
			bad({ ...evaluation, datasetId: NOWHERE }),
			bad({ ...evaluation, modelIds: [teacher.id, NOWHERE] }),
			...refusals({ id }, evaluation)
		]
	};
};
