// What a contract test call is, and what every area's calls are made from.
import type { OperationId } from '../../../src/lib/api/contract';
import type { Db } from '../../../src/lib/server/db';
import type { Project, User } from '../../../src/lib/server/db/schema';

export type Caller = 'admin' | 'member' | 'outsider';

export type Call = {
	/** Whose token, or none. */
	as: Caller | null;
	params?: Record<string, string | number>;
	query?: Record<string, string>;
	/** A JSON value, or with `mediaType` the text of a file. */
	body?: unknown;
	/** The body's media type when it is not JSON: one the document declares for the operation. */
	mediaType?: string;
	status: number;
};

/**
 * What the contract test made before any area's calls: three people and their tokens, and a
 * project (two reviews required, one requirement) with the admin as owner and the member on it.
 * An area makes whatever more it needs through the domain functions.
 */
export type ContractContext = {
	db: Db;
	admin: User;
	member: User;
	outsider: User;
	tokens: Record<Caller, string>;
	project: Project;
	/** Something to undo once every call is made, such as a stand-in provider to close. */
	afterwards: (undo: () => Promise<void>) => void;
};

/** One area's calls, made after it has seeded what it needs; run in the document's order. */
export type AreaCalls = (context: ContractContext) => Promise<Partial<Record<OperationId, Call[]>>>;
