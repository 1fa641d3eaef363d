// Every area's contract calls; the contract spec runs them all.
import type { AreaCalls } from './calls';

export const AREA_CALLS: AreaCalls[] = [];
