// The datasets area's contract calls: preview, freeze, list, read and export, in a project of
// its own whose examples are all accepted, so the figures are the area's alone.
import { addMember, createProject } from '../../../src/lib/server/projects';
import { freezeDataset } from '../../../src/lib/server/datasets';
import { importExamples } from '../../../src/lib/server/import';
import { datasetFilterSchema } from '../../../src/lib/schemas/dataset';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../../src/lib/schemas/project';
import { acceptEverything } from '../e2e';
import type { Project } from '../../../src/lib/server/db/schema';
import type { AreaCalls, Call, ContractContext } from './calls';

const NOWHERE = 999_999_999;

/**
 * A project of the contract's admin, with its member, whose twelve examples (tagged shipping)
 * the member has accepted; half the inputs are held out for testing, none for validation.
 */
export async function reviewedProject({ db, admin, member }: ContractContext, name: string) {
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `${name} ${Date.now()}`,
			splitTrain: '50',
			splitVal: '0',
			splitTest: '50'
		}),
		admin.id
	);
	await addMember(db, project.id, member.id);
	async function* rows() {
		for (let i = 1; i <= 12; i++) {
			yield `{"input": "Parcel question ${i}?", "output": "Parcel answer ${i}.", "tags": ["shipping"]}\n`;
		}
	}
	const imported = await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 'contract.jsonl',
		userId: admin.id
	});
	if (!imported.ok) throw new Error('the contract’s examples were refused');
	await acceptEverything(db, project.id, member.id, `contract-${project.id}`);
	return project;
}

/** A dataset of everything accepted, frozen through the domain function. */
export async function frozenDataset(context: ContractContext, project: Project, name: string) {
	const frozen = await freezeDataset(
		context.db,
		project,
		name,
		datasetFilterSchema.parse({}),
		context.admin.id
	);
	if (!frozen.ok) throw new Error(frozen.message);
	if (frozen.counts.train === 0 || frozen.counts.test === 0) {
		throw new Error('the contract’s dataset needs train and test examples');
	}
	return frozen.datasetId;
}

/** The calls every admin operation gets: a member refused, an outsider not told, nobody 401. */
export function refusals(params: Call['params'], body?: unknown): Call[] {
	return [
		{ as: 'member', params, body, status: 403 },
		{ as: 'outsider', params, body, status: 404 },
		{ as: null, params, body, status: 401 }
	];
}

export const datasetCalls: AreaCalls = async (context) => {
	const project = await reviewedProject(context, 'Contract datasets');
	const first = await frozenDataset(context, project, 'contract v1');
	const second = await frozenDataset(context, project, 'contract v2');
	const id = project.id;
	const bad = (body: unknown): Call => ({ as: 'admin', params: { id }, body, status: 400 });
	const file = (query: Record<string, string>, status: number): Call => ({
		as: 'admin',
		params: { id, datasetId: second },
		query,
		status
	});
	return {
		previewDataset: [
			{ as: 'admin', params: { id }, body: {}, status: 200 },
			{
				as: 'admin',
				params: { id },
				body: {
					filter: {
						threshold: 4,
						tags: ['shipping'],
						sources: ['import'],
						from: '2020-01-01',
						to: null,
						minReviews: '1',
						repairedOnly: false,
						includeInvalid: true,
						labelCap: null
					}
				},
				status: 200
			},
			bad({ filter: 'accepted' }),
			bad({ filter: { minReviews: -1 } }),
			bad({ filter: { from: '2025-03-02', to: '2025-03-01' } }),
			bad({ filter: { sources: ['the web'] } }),
			bad({ filter: { repairedOnly: 'yes' } }),
			...refusals({ id }, {})
		],
		freezeDataset: [
			{ as: 'admin', params: { id }, body: { name: 'contract v3', filter: {} }, status: 201 },
			bad({ filter: {} }),
			bad({ name: '  ', filter: {} }),
			bad({ name: 'nothing', filter: { tags: 'no-such-tag' } }),
			bad({ name: 'bad filter', filter: { threshold: 'high' } }),
			...refusals({ id }, { name: 'not theirs' })
		],
		listDatasets: [{ as: 'admin', params: { id }, status: 200 }, ...refusals({ id })],
		getDataset: [
			{ as: 'admin', params: { id, datasetId: first }, status: 200 },
			{ as: 'admin', params: { id, datasetId: second }, status: 200 },
			{ as: 'admin', params: { id, datasetId: NOWHERE }, status: 404 },
			...refusals({ id, datasetId: second })
		],
		exportDataset: [
			file({ split: 'train', format: 'openai' }, 200),
			file({ split: 'test', format: 'csv' }, 200),
			file({ split: 'train', format: 'alpaca', reasoning: '' }, 200),
			file({ split: 'val', format: 'openai' }, 404),
			file({ split: 'train', format: 'openai', reasoning: '1' }, 404),
			file({ split: 'train', format: 'xml' }, 400),
			file({ format: 'openai' }, 400),
			file({ split: 'train', format: 'openai', reasoning: 'yes' }, 400),
			{
				as: 'admin',
				params: { id, datasetId: NOWHERE },
				query: { split: 'train', format: 'openai' },
				status: 404
			},
			...refusals({ id, datasetId: second }).map((call) => ({
				...call,
				query: { split: 'train', format: 'openai' }
			}))
		]
	};
};
