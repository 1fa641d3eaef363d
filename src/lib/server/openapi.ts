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
		schemas: {
			Output: {
				type: 'object',
				description: 'One output: an example and one of its revisions',
				required: ['exampleId', 'revisionId'],
				properties: { exampleId: { type: 'integer' }, revisionId: { type: 'integer' } }
			}
		},
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
								},
								errors: {
									type: 'array',
									items: {
										type: 'object',
										properties: { line: { type: 'integer' }, message: { type: 'string' } }
									}
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
		'/projects/{id}/examples': {
			post: {
				summary: 'Import examples, all or nothing (admins)',
				parameters: [project],
				requestBody: {
					required: true,
					content: {
						'application/jsonl': { schema: { type: 'string' } },
						'text/csv': { schema: { type: 'string' } }
					}
				},
				responses: {
					'201': { description: 'Imported and skipped counts' },
					'200': { description: 'Nothing new: every row was already there; nothing recorded' },
					'409': { description: 'Another import into the project is still being written' },
					...errors
				}
			}
		},
		'/projects/{id}/examples/{exampleId}': {
			get: {
				summary: 'One example with its revisions and reviews (members; blind for annotators)',
				parameters: [
					project,
					{ name: 'exampleId', in: 'path', required: true, schema: { type: 'integer' } }
				],
				responses: { '200': { description: 'The example' }, ...errors }
			}
		},
		'/projects/{id}/agreement': {
			get: {
				summary:
					'Agreement figures, and with a judge-guided queue the audit sample’s estimates: the acceptance rate and each judge’s errors (admins)',
				parameters: [project],
				responses: {
					'200': {
						description:
							'Figures, with `audit` (null unless judge-guided), `labels` (a label project’s per-label kappa and alpha with intervals, the confusion against the others’ majority, accuracy on gold per label; else null) and `comparisons` (agreement with ties as a category, position bias per annotator, gold; null without comparisons)'
					},
					...errors
				}
			}
		},
		'/projects/{id}/comparisons': {
			get: {
				summary:
					'The project’s comparisons a page at a time, with their agreement and position-bias figures (admins)',
				parameters: [
					project,
					{ name: 'after', in: 'query', schema: { type: 'integer', minimum: 0 } },
					{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } }
				],
				responses: {
					'200': {
						description:
							'`comparisons`, `next` (the `after` of the next page, or null) and `figures`'
					},
					...errors
				}
			},
			post: {
				summary:
					'Queue comparisons for people: a finished job’s two teachers or two samples per input, two evaluated models’ answers to the held-out inputs, or given pairs of outputs of the same input (admins)',
				parameters: [project],
				requestBody: {
					required: true,
					content: {
						'application/json': {
							schema: {
								oneOf: [
									{
										type: 'object',
										required: ['jobId'],
										properties: { jobId: { type: 'integer' } }
									},
									{
										type: 'object',
										required: ['modelIds'],
										properties: {
											modelIds: {
												type: 'array',
												items: { type: 'integer' },
												minItems: 2,
												maxItems: 2
											}
										}
									},
									{
										type: 'object',
										required: ['pairs'],
										properties: {
											pairs: {
												type: 'array',
												items: {
													type: 'object',
													required: ['first', 'second'],
													properties: {
														first: { $ref: '#/components/schemas/Output' },
														second: { $ref: '#/components/schemas/Output' }
													}
												}
											}
										}
									}
								]
							}
						}
					}
				},
				responses: {
					'201': {
						description:
							'`created`; `alreadyQueued` (the same two outputs, in either order); `identical` (two outputs with the same text, left out)'
					},
					...errors
				}
			}
		},
		'/projects/{id}/comparisons/{comparisonId}/gold': {
			post: {
				summary:
					'Make a comparison gold with its known answer, in its own order, or ordinary again with null (admins)',
				parameters: [
					project,
					{ name: 'comparisonId', in: 'path', required: true, schema: { type: 'integer' } }
				],
				requestBody: {
					required: true,
					content: {
						'application/json': {
							schema: {
								type: 'object',
								required: ['gold'],
								properties: { gold: { enum: ['first', 'second', 'tie', null] } }
							}
						}
					}
				},
				responses: { '200': { description: 'The comparison and its gold answer' }, ...errors }
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
