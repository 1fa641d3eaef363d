// Every area's contract calls; the contract spec runs them all.
import type { AreaCalls } from './calls';
import { fineTuneCalls } from './fineTunes';

export const AREA_CALLS: AreaCalls[] = [fineTuneCalls];
