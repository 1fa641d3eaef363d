// The API's operations described once, in zod: what each takes (path, query, body) and what it
// answers for each status. The routes parse with these schemas, the OpenAPI document is
// generated from them (server/openapi.ts), and the contract test checks every answer against
// the document. Each area's operations live in operations/.
import { ADJUDICATION_OPERATIONS } from './operations/adjudication';
import { DATASET_OPERATIONS } from './operations/datasets';
import { AGREEMENT_OPERATIONS } from './operations/agreement';
import { COMPARISON_OPERATIONS } from './operations/comparisons';
import { EXAMPLE_OPERATIONS } from './operations/examples';
import { FINE_TUNE_OPERATIONS } from './operations/fineTunes';
import { ITERATION_OPERATIONS } from './operations/iterations';
import { JUDGE_OPERATIONS } from './operations/judges';
import { JOB_OPERATIONS } from './operations/jobs';
import { PROJECT_OPERATIONS } from './operations/projects';
import { REVIEW_OPERATIONS } from './operations/reviews';
import { USER_OPERATIONS } from './operations/users';
import type { Operation } from './parts';

export { apiErrorSchema, type Operation } from './parts';
export type { DatasetDetail, DatasetView, SelectionPreview } from './operations/datasets';
export type { ProjectChange, ProjectView } from './operations/projects';

export const OPERATIONS = {
	...PROJECT_OPERATIONS,
	...EXAMPLE_OPERATIONS,
	...ADJUDICATION_OPERATIONS,
	...AGREEMENT_OPERATIONS,
	...COMPARISON_OPERATIONS,
	...FINE_TUNE_OPERATIONS,
	...JUDGE_OPERATIONS,
	...ITERATION_OPERATIONS,
	...JOB_OPERATIONS,
	...DATASET_OPERATIONS,
	...REVIEW_OPERATIONS,
	...USER_OPERATIONS
} satisfies Record<string, Operation>;

export type OperationId = keyof typeof OPERATIONS;
