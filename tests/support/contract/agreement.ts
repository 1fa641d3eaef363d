// The contract calls of the agreement figures: a rated project with comparisons, and a label
// project whose queue is judge-guided, so every part of the answer is there once.
import { e2eSecretKey } from '../e2e';
import { judgeFormSchema } from '../../../src/lib/schemas/judge';
import { createJudge } from '../../../src/lib/server/judges';
import { addModel, createProvider } from '../../../src/lib/server/providers';
import { updateQueueSettings } from '../../../src/lib/server/queuePriority';
import type { AreaCalls } from './calls';
import { comparedProject } from './comparisons';
import { contractProject, importRows, reviewAll } from './seed';

export const agreementCalls: AreaCalls = async (context) => {
	const { db, admin, member } = context;
	const { project: compared } = await comparedProject(context);
	const labelled = await contractProject(context, 'Contract labels', {
		outputKind: 'labels',
		labels: 'billing\nshipping',
		ratingScale: 'pass_fail',
		threshold: '1',
		reviewsRequired: '2'
	});
	await importRows(
		db,
		labelled,
		admin.id,
		['billing', 'shipping', 'billing'].map((label, i) => ({ input: `Ticket ${i}`, output: label }))
	);
	await reviewAll(db, labelled.id, member.id, () => ({ rating: 1, decision: 'accept' }));
	await reviewAll(db, labelled.id, admin.id, (id) => ({
		rating: id % 2,
		decision: id % 2 === 1 ? 'accept' : 'reject'
	}));
	const provider = await createProvider(db, e2eSecretKey(), {
		name: `Contract judges ${Date.now()}`,
		baseUrl: 'http://localhost:9/v1',
		apiKey: '',
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	const model = await addModel(db, provider.id, {
		name: 'judge-small',
		inputPricePerMTok: 0,
		outputPricePerMTok: 0
	});
	const judge = await createJudge(
		db,
		labelled.id,
		judgeFormSchema.parse({
			name: 'Contract judge',
			modelId: String(model.id),
			rubric: 'Rate the label on {{scale}}.',
			temperature: ''
		}),
		admin.id
	);
	if (!judge.ok) throw new Error(judge.message);
	await updateQueueSettings(
		db,
		labelled.id,
		{
			leaseMinutes: 10,
			queueOrder: 'judged',
			priorityTag: '',
			repairerReviewCounts: false,
			goldPercent: 0,
			auditPercent: 20
		},
		new Date()
	);
	const at = { id: compared.id };
	return {
		getAgreement: [
			{ as: 'admin', params: { id: context.project.id }, status: 200 },
			{ as: 'admin', params: at, status: 200 },
			{ as: 'admin', params: { id: labelled.id }, status: 200 },
			{ as: 'member', params: at, status: 403 },
			{ as: 'outsider', params: at, status: 404 },
			{ as: null, params: at, status: 401 }
		]
	};
};
