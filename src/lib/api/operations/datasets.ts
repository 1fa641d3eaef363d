// Datasets: what a filter would select, frozen datasets and their files, with the export
// page's rules and messages.
import { z } from 'zod';
import { SPLITS } from '../../server/db/schema';
import {
	datasetFilterJsonSchema,
	datasetFilterSchema,
	datasetNameSchema,
	exportQuerySchema
} from '../../schemas/dataset';
import {
	adminsOnly,
	apiErrorSchema,
	notFound,
	projectPath,
	refused,
	timestamp,
	type Operation
} from '../parts';

const count = z.number().int();
const splitCountsSchema = z.object({ train: count, val: count, test: count });

/** The filter as a dataset keeps it: the page's filter read, with the threshold it used. */
const storedFilterSchema = z.object({
	threshold: z.number(),
	tags: z.array(z.string()),
	sources: z.array(datasetFilterSchema.shape.sources.unwrap().element),
	from: z.string().optional(),
	to: z.string().optional(),
	minReviews: z.number().int().optional(),
	repairedOnly: z.boolean(),
	includeInvalid: z.boolean(),
	/** Absent from datasets frozen before label caps existed. */
	labelCap: z.number().int().optional()
});

const datasetSchema = z.object({
	id: z.number().int(),
	name: z.string(),
	counts: splitCountsSchema,
	contentHash: z.string().describe('SHA-256 of every (split, input, output), in a stable order'),
	filter: storedFilterSchema,
	filterWords: z.string().describe('The filter said as a sentence, as the pages show it'),
	previousDatasetId: z.number().int().nullable(),
	createdAt: timestamp
});
export type DatasetView = z.infer<typeof datasetSchema>;

const datasetDetailSchema = datasetSchema.extend({
	change: z
		.object({ added: count, removed: count, revised: count, kept: count })
		.nullable()
		.describe(
			'Since the previous dataset: examples added, removed, taken at a newer revision, unchanged; null for the first'
		)
});
export type DatasetDetail = z.infer<typeof datasetDetailSchema>;

const labelCountsSchema = z.object({
	labels: z.array(
		z.object({ label: z.string(), counts: splitCountsSchema, capped: splitCountsSchema })
	),
	/** Examples whose output names no label of the set: kept, never capped. */
	unreadable: splitCountsSchema,
	/** Whether the filter's cap applies to this project. */
	capped: z.boolean()
});

const selectionSchema = z.object({
	counts: splitCountsSchema,
	labels: labelCountsSchema.nullable().describe('Label by label, for a label project; else null'),
	filterWords: z.string()
});
export type SelectionPreview = z.infer<typeof selectionSchema>;

export const previewBodySchema = z.object({ filter: datasetFilterJsonSchema });
export const freezeBodySchema = z.object({
	name: datasetNameSchema,
	filter: datasetFilterJsonSchema
});

/** A file's query: its split, its format and whether the teacher's reasoning comes first. */
export const exportDatasetQuerySchema = exportQuerySchema.extend({
	split: z.enum(SPLITS, 'Choose a split: train, val or test.')
});

const datasetPath = projectPath.extend({ datasetId: z.coerce.number().int().positive() });
const noDataset = {
	404: { description: 'No such project, or no such dataset in it', schema: apiErrorSchema }
};
const badFilter = {
	400: {
		description:
			'The body is not one, or the filter breaks a rule (answered on its own, field by field)',
		schema: apiErrorSchema
	}
};

export const DATASET_OPERATIONS = {
	previewDataset: {
		method: 'post',
		path: '/projects/{id}/datasets/preview',
		summary:
			'How many examples a filter would select per split, as the export page counts them, without freezing (admins)',
		access: 'admin',
		params: projectPath,
		body: previewBodySchema,
		responses: {
			200: { description: 'The counts the filter selects now', schema: selectionSchema },
			...badFilter,
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	freezeDataset: {
		method: 'post',
		path: '/projects/{id}/datasets',
		summary: 'Freezes what a filter selects now as a named dataset (admins)',
		access: 'admin',
		params: projectPath,
		body: freezeBodySchema,
		responses: {
			201: { description: 'The dataset, as getDataset reads it', schema: datasetDetailSchema },
			400: {
				description:
					'A missing name, a filter that breaks a rule (answered on its own), or a filter that selects nothing',
				schema: apiErrorSchema
			},
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	listDatasets: {
		method: 'get',
		path: '/projects/{id}/datasets',
		summary: 'The frozen datasets, newest first (admins)',
		access: 'admin',
		params: projectPath,
		responses: {
			200: {
				description: 'The datasets',
				schema: z.object({ datasets: z.array(datasetSchema) })
			},
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	getDataset: {
		method: 'get',
		path: '/projects/{id}/datasets/{datasetId}',
		summary: 'One frozen dataset and its change from the one before (admins)',
		access: 'admin',
		params: datasetPath,
		responses: {
			200: { description: 'The dataset', schema: datasetDetailSchema },
			...refused({ ...noDataset, ...adminsOnly })
		}
	},
	exportDataset: {
		method: 'get',
		path: '/projects/{id}/datasets/{datasetId}/export',
		summary: 'One split of a frozen dataset in one format, streamed (admins)',
		access: 'admin',
		params: datasetPath,
		query: exportDatasetQuerySchema,
		responses: {
			200: {
				description:
					'The file: JSON Lines for every format but csv, CSV for csv; its x-content-hash header is the dataset’s',
				schema: z.string(),
				mediaTypes: ['application/jsonl', 'text/csv']
			},
			400: { description: 'A split, format or reasoning that is not one', schema: apiErrorSchema },
			...refused({
				404: {
					description:
						'No such project or dataset, or the file would be empty (and why: no examples in the split, no pairs, no reasoning)',
					schema: apiErrorSchema
				},
				...adminsOnly
			})
		}
	}
} satisfies Record<string, Operation>;
