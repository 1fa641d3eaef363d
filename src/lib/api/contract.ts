// The API's operations described once, in zod: what each takes (path, query, body) and what it
// answers for each status. The routes parse with these schemas, the OpenAPI document is
// generated from them (server/openapi.ts), and the contract test checks every answer against
// the document. Each area's operations live in operations/; operations not yet described there
// are still written by hand in openapi.ts.
import { ADJUDICATION_OPERATIONS } from './operations/adjudication';
import { DATASET_OPERATIONS } from './operations/datasets';
import { EXAMPLE_OPERATIONS } from './operations/examples';
import { JOB_OPERATIONS } from './operations/jobs';
import { PROJECT_OPERATIONS } from './operations/projects';
import type { Operation } from './parts';

export { apiErrorSchema, type Operation } from './parts';
export type { DatasetDetail, DatasetView, SelectionPreview } from './operations/datasets';
export type { ProjectView } from './operations/projects';

export const OPERATIONS = {
	...PROJECT_OPERATIONS,
	...EXAMPLE_OPERATIONS,
	...ADJUDICATION_OPERATIONS,
	...JOB_OPERATIONS,
	...DATASET_OPERATIONS
} satisfies Record<string, Operation>;

export type OperationId = keyof typeof OPERATIONS;
