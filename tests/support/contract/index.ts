// Every area's contract calls; the contract spec runs them all.
import type { AreaCalls } from './calls';
import { datasetCalls } from './datasets';
import { jobCalls } from './jobs';

export const AREA_CALLS: AreaCalls[] = [jobCalls, datasetCalls];
