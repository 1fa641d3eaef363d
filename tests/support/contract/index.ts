// Every area's contract calls; the contract spec runs them all.
import type { AreaCalls } from './calls';
import { reviewCalls } from './reviews';
import { userCalls } from './users';

export const AREA_CALLS: AreaCalls[] = [reviewCalls, userCalls];
