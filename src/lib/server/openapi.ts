// The OpenAPI description of /api/v1. Every route needs a bearer token (a personal access token
// made on the Account page); errors are JSON: {"message", "issues"?: {field: [messages]}}.
// The operations in api/contract.ts are generated from their zod schemas; the rest are still
// written here by hand, and move there one by one.
import { z } from 'zod';
import { OPERATIONS, type Operation } from '../api/contract';

const error = { $ref: '#/components/responses/Error' };
const project = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
const errors = { '400': error, '401': error, '403': error, '404': error };

const json = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
const FINE_TUNE = {
	type: 'object',
	required: ['adapter', 'providerId', 'baseModel'],
	properties: {
		adapter: { enum: ['openai', 'together', 'fireworks'] },
		method: { enum: ['supervised', 'dpo'] },
		providerId: { type: 'integer' },
		baseModel: { type: 'string' },
		suffix: { type: 'string' },
		epochs: { type: 'integer' },
		batchSize: { type: 'integer' },
		learningRateMultiplier: { type: 'number' },
		learningRate: { type: 'number' },
		loraRank: { type: 'integer' },
		maxContextLength: { type: 'integer' },
		beta: { type: 'number' },
		flavor: { type: 'string' },
		timeoutHours: { type: 'number' },
		fromCheckpoint: { type: 'string' }
	}
};

const HAND_WRITTEN = {
	openapi: '3.1.0',
	info: { title: 'Winnow API', version: '1' },
	servers: [{ url: '/api/v1' }],
	security: [{ bearer: [] }],
	components: {
		securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
		responses: {
			Error: {
				description: 'What went wrong',
				content: {
					'application/json': {
						schema: {
							type: 'object',
							properties: {
								message: { type: 'string' },
								issues: {
									type: 'object',
									additionalProperties: { type: 'array', items: { type: 'string' } }
								}
							},
							required: ['message']
						}
					}
				}
			}
		}
	},
	paths: {
		'/projects/{id}/jobs': {
			get: {
				summary: 'Distillation jobs and their progress (admins)',
				parameters: [project],
				responses: { '200': { description: 'Jobs' }, ...errors }
			},
			post: {
				summary: 'Start a distillation job (admins)',
				parameters: [project],
				requestBody: {
					required: true,
					content: {
						'application/json': {
							schema: {
								type: 'object',
								required: ['modelIds', 'inputs'],
								properties: {
									modelIds: { type: 'array', items: { type: 'integer' } },
									inputs: { type: 'array', items: { type: 'string' } },
									settings: {
										type: 'object',
										description:
											'temperature, maxTokens, samplesPerInput, fewShot, reasoning, invalidOutputs, concurrency, timeoutSeconds'
									},
									judgeId: {
										type: 'integer',
										description:
											'A judge of the project that judges each output as it arrives, in a judge run that follows the job'
									}
								}
							}
						}
					}
				},
				responses: { '201': { description: 'The new job id' }, ...errors }
			}
		},
		'/projects/{id}/jobs/{jobId}': {
			get: {
				summary: "A job's progress (admins)",
				parameters: [
					project,
					{ name: 'jobId', in: 'path', required: true, schema: { type: 'integer' } }
				],
				responses: { '200': { description: 'Progress' }, ...errors }
			}
		},
		'/projects/{id}/datasets/{datasetId}/export': {
			get: {
				summary: 'One split of a frozen dataset, streamed (admins)',
				parameters: [
					project,
					{ name: 'datasetId', in: 'path', required: true, schema: { type: 'integer' } },
					{
						name: 'split',
						in: 'query',
						required: true,
						schema: { enum: ['train', 'val', 'test'] }
					},
					{
						name: 'format',
						in: 'query',
						required: true,
						schema: {
							enum: [
								'openai',
								'openai_dpo',
								'trl_preference',
								'trl_kto',
								'hf_messages',
								'alpaca',
								'sharegpt',
								'csv'
							]
						}
					},
					{ name: 'reasoning', in: 'query', schema: { enum: ['1', ''] } }
				],
				responses: { '200': { description: 'The file' }, ...errors }
			}
		},
		'/projects/{id}/evaluations': {
			get: {
				summary: 'Evaluation runs and their progress (admins)',
				parameters: [project],
				responses: { '200': { description: 'Evaluation runs' }, ...errors }
			},
			post: {
				summary: "Evaluate models on a dataset's inputs, by default its test split (admins)",
				parameters: [project],
				requestBody: json({
					type: 'object',
					required: ['modelIds', 'datasetId'],
					properties: {
						modelIds: { type: 'array', items: { type: 'integer' } },
						datasetId: { type: 'integer' },
						splits: { type: 'array', items: { enum: ['test', 'val', 'train'] } },
						settings: {
							type: 'object',
							description: 'temperature, maxTokens, fewShot, concurrency, timeoutSeconds'
						}
					}
				}),
				responses: {
					'201': { description: 'The evaluation run (a job) id; read it at /jobs/{jobId}' },
					...errors
				}
			}
		},
		'/projects/{id}/fine-tunes': {
			get: {
				summary: 'Fine-tunes and their status (admins)',
				parameters: [project],
				responses: { '200': { description: 'Fine-tunes' }, ...errors }
			},
			post: {
				summary: 'Send a frozen dataset to a provider’s fine-tuning (admins)',
				parameters: [project],
				requestBody: json({
					type: 'object',
					required: ['datasetId', 'fineTune'],
					properties: { datasetId: { type: 'integer' }, fineTune: FINE_TUNE }
				}),
				responses: { '201': { description: 'The fine-tune id' }, ...errors }
			}
		},
		'/projects/{id}/fine-tunes/{fineTuneId}': {
			get: {
				summary: 'One fine-tune with its events and the model it made (admins)',
				parameters: [
					project,
					{ name: 'fineTuneId', in: 'path', required: true, schema: { type: 'integer' } }
				],
				responses: { '200': { description: 'The fine-tune' }, ...errors }
			}
		},
		'/projects/{id}/judges': {
			get: {
				summary: 'The project’s judges: model and rubric (admins)',
				parameters: [project],
				responses: { '200': { description: 'Judges' }, ...errors }
			},
			post: {
				summary:
					'Define a judge; its ratings are advice, never a final rating, a status or training data (admins)',
				parameters: [project],
				requestBody: json({
					type: 'object',
					required: ['name', 'modelId'],
					properties: {
						name: { type: 'string' },
						modelId: { type: 'integer' },
						rubric: {
							type: 'string',
							description:
								'The judge’s instructions; {{instruction}}, {{requirements}} and {{scale}} are filled in when sent, and {{scale}} must stay. The default rubric when left out.'
						},
						withReference: { type: 'boolean' },
						temperature: { type: 'number', minimum: 0, maximum: 2 }
					}
				}),
				responses: { '201': { description: 'The judge id' }, ...errors }
			}
		},
		'/projects/{id}/judges/{judgeId}': {
			get: {
				summary:
					'One judge, its runs, and its agreement with people overall and per requirement (admins)',
				parameters: [
					project,
					{ name: 'judgeId', in: 'path', required: true, schema: { type: 'integer' } }
				],
				responses: { '200': { description: 'The judge' }, ...errors }
			}
		},
		'/projects/{id}/judges/{judgeId}/runs': {
			post: {
				summary:
					'Run the judge over the current outputs of a selection it has not rated yet, or (selection "pairwise") compare two evaluated models on their held-out answers, each pair in both orders; follow it as a job (admins)',
				parameters: [
					project,
					{ name: 'judgeId', in: 'path', required: true, schema: { type: 'integer' } }
				],
				requestBody: json({
					type: 'object',
					required: ['selection'],
					properties: {
						selection: { enum: ['queue', 'all', 'job', 'import', 'pairwise'] },
						jobId: { type: 'integer', description: 'With selection "job"' },
						importId: { type: 'integer', description: 'With selection "import"' },
						modelIds: {
							type: 'array',
							items: { type: 'integer' },
							minItems: 2,
							maxItems: 2,
							description:
								'With selection "pairwise": the baseline model, then the one measured against it'
						},
						concurrency: { type: 'integer', minimum: 1, maximum: 32 }
					}
				}),
				responses: { '201': { description: 'The run’s job id and its items' }, ...errors }
			}
		},
		'/projects/{id}/iterations': {
			get: {
				summary:
					'The iterations, every evaluated model’s figures on held-out inputs, the judged estimates (per model and judge, the prediction-powered share clearing the threshold beside people’s own and the judge’s uncorrected one) and the pairwise judges’ win rates (admins)',
				parameters: [project, { name: 'scope', in: 'query', schema: { enum: ['common', 'all'] } }],
				responses: { '200': { description: 'Iterations, figures and judged estimates' }, ...errors }
			},
			post: {
				summary:
					'Start the next iteration: freeze a dataset, fine-tune on it, evaluate the student when it succeeds (admins)',
				parameters: [project],
				requestBody: json({
					type: 'object',
					required: ['name', 'fineTune'],
					properties: {
						name: { type: 'string' },
						filter: {
							type: 'object',
							description:
								'As on the export page: threshold, tags, sources, from, to, minReviews, repairedOnly, includeInvalid, labelCap (a single-choice label project: most examples of each label per split)'
						},
						fineTune: FINE_TUNE,
						evaluation: {
							type: 'object',
							properties: {
								splits: { type: 'array', items: { enum: ['test', 'val', 'train'] } },
								settings: { type: 'object' }
							}
						}
					}
				}),
				responses: { '201': { description: 'The iteration, dataset and fine-tune ids' }, ...errors }
			}
		},
		'/projects/{id}/iterations/compare': {
			get: {
				summary: 'Two models side by side on the same held-out inputs (admins)',
				parameters: [
					project,
					{ name: 'a', in: 'query', required: true, schema: { type: 'integer' } },
					{ name: 'b', in: 'query', required: true, schema: { type: 'integer' } },
					{ name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } }
				],
				responses: { '200': { description: 'Pairs and the paired comparison' }, ...errors }
			}
		}
	}
} as const;

/** A zod schema as the JSON Schema (draft 2020-12, which OpenAPI 3.1 uses) it stands for. */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): object {
	// Transforms (a form's checkbox, a blank that means "none") have no JSON Schema: any value.
	const described: Record<string, unknown> = z.toJSONSchema(schema, {
		io,
		unrepresentable: 'any'
	});
	// The document states its dialect once, not in every schema.
	delete described.$schema;
	return described;
}

function parametersOf(fields: z.ZodObject | undefined, where: 'path' | 'query') {
	return Object.entries(fields?.shape ?? {}).map(([name, field]) => ({
		name,
		in: where,
		required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success,
		schema: jsonSchemaOf(field as z.ZodType, 'output')
	}));
}

/** A body's content: JSON unless other media types are named, each then with the same schema. */
function contentOf(
	schema: z.ZodType,
	io: 'input' | 'output',
	mediaTypes: readonly string[] = ['application/json']
) {
	const described = jsonSchemaOf(schema, io);
	return Object.fromEntries(mediaTypes.map((type) => [type, { schema: described }]));
}

function describedOperation(operationId: string, operation: Operation) {
	const parameters = [
		...parametersOf(operation.params, 'path'),
		...parametersOf(operation.query, 'query')
	];
	return {
		operationId,
		summary: operation.summary,
		// The one way to a first token needs none.
		...(operation.access === 'anyone' ? { security: [] } : {}),
		...(parameters.length > 0 ? { parameters } : {}),
		...(operation.body
			? {
					requestBody: {
						required: true,
						content: contentOf(operation.body, 'input', operation.bodyMediaTypes)
					}
				}
			: {}),
		responses: Object.fromEntries(
			Object.entries(operation.responses).map(([status, response]) => [
				status,
				{
					description: response.description,
					content: contentOf(response.schema, 'output', response.mediaTypes)
				}
			])
		)
	};
}

function withGeneratedPaths() {
	const paths: Record<string, Record<string, object>> = structuredClone(HAND_WRITTEN.paths);
	for (const [operationId, operation] of Object.entries(OPERATIONS) as [string, Operation][]) {
		paths[operation.path] = {
			...paths[operation.path],
			[operation.method]: describedOperation(operationId, operation)
		};
	}
	return { ...HAND_WRITTEN, paths };
}

export const OPENAPI_DOCUMENT = withGeneratedPaths();
