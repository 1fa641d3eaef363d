// Every area's contract calls; the contract spec runs them all.
import { agreementCalls } from './agreement';
import { archiveCalls } from './archive';
import type { AreaCalls } from './calls';
import { comparisonCalls } from './comparisons';
import { datasetCalls } from './datasets';
import { exampleCalls } from './examples';
import { fineTuneCalls } from './fineTunes';
import { jobCalls } from './jobs';
import { reviewCalls } from './reviews';
import { userCalls } from './users';

export const AREA_CALLS: AreaCalls[] = [
	exampleCalls,
	agreementCalls,
	comparisonCalls,
	jobCalls,
	datasetCalls,
	fineTuneCalls,
	reviewCalls,
	userCalls,
	archiveCalls
];
