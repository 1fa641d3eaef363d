import type { Db } from '../db';
import type { Dataset, Project } from '../db/schema';
import type { DatasetDetail, DatasetView, SelectionPreview } from '../../api/contract';
import { filterInWords, type DatasetFilter } from '../../schemas/dataset';
import { countQualifying, countQualifyingLabels, datasetChange } from '.';
import { labelSetOf } from './labels';

// Datasets as the API shows them: the figures the export and dataset pages show, read by the
// same functions, so a script and a person see the same numbers.

/** The filter said as a sentence, as the export and dataset pages say it for this project. */
export function filterWordsFor(target: Project, filter: Partial<DatasetFilter>): string {
	return filterInWords(filter, { ...target, labelCaps: labelSetOf(target)?.multiple === false });
}

/** What the filter would select now, per split (and per label), without freezing anything. */
export async function previewSelection(
	db: Db,
	target: Project,
	filter: DatasetFilter
): Promise<SelectionPreview> {
	return {
		counts: await countQualifying(db, target, filter),
		labels: await countQualifyingLabels(db, target, filter),
		filterWords: filterWordsFor(target, filter)
	};
}

export function describeDataset(target: Project, found: Dataset): DatasetView {
	const filter = JSON.parse(found.filter) as DatasetView['filter'];
	return {
		id: found.id,
		name: found.name,
		counts: { train: found.trainCount, val: found.valCount, test: found.testCount },
		contentHash: found.contentHash,
		filter,
		filterWords: filterWordsFor(target, filter),
		previousDatasetId: found.previousDatasetId,
		createdAt: found.createdAt.toISOString()
	};
}

/** A dataset with what changed since the one frozen before it, as its page shows it. */
export async function describeDatasetChange(
	db: Db,
	target: Project,
	found: Dataset
): Promise<DatasetDetail> {
	return {
		...describeDataset(target, found),
		change: found.previousDatasetId
			? await datasetChange(db, found.previousDatasetId, found.id)
			: null
	};
}
