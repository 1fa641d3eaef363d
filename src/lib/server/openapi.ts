// The OpenAPI description of /api/v1. Every route needs a bearer token (a personal access token
// made on the Account page); errors are JSON: {"message", "issues"?: {field: [messages]}}.

const error = { $ref: '#/components/responses/Error' };
const project = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
const errors = { '400': error, '401': error, '403': error, '404': error };

export const OPENAPI_DOCUMENT = {
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
		'/projects': {
			get: {
				summary: 'The projects the token may see',
				responses: { '200': { description: 'Projects' }, '401': error }
			}
		},
		'/projects/{id}/examples': {
			get: {
				summary: 'A page of examples, newest first (members)',
				parameters: [
					project,
					...['status', 'split', 'source', 'tag', 'q'].map((name) => ({
						name,
						in: 'query',
						schema: { type: 'string' }
					})),
					{
						name: 'before',
						in: 'query',
						schema: { type: 'integer' },
						description: 'nextBefore of the previous page'
					}
				],
				responses: { '200': { description: 'Examples and nextBefore' }, ...errors }
			},
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
				responses: { '201': { description: 'Imported and skipped counts' }, ...errors }
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
				summary: 'Agreement figures (admins)',
				parameters: [project],
				responses: { '200': { description: 'Figures' }, ...errors }
			}
		},
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
						schema: { enum: ['openai', 'openai_dpo', 'hf_messages', 'alpaca', 'sharegpt', 'csv'] }
					},
					{ name: 'reasoning', in: 'query', schema: { enum: ['1', ''] } }
				],
				responses: { '200': { description: 'The file' }, ...errors }
			}
		}
	}
} as const;
