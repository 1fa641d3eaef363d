import type { Db } from '$lib/server/db';
import type { SessionUser } from '$lib/server/auth';
import type { Session } from '$lib/server/db/schema';
import type { Waker } from '$lib/server/signals';
import type { SecretKey } from '$lib/server/secrets';

declare global {
	namespace App {
		interface Locals {
			db: Db;
			user: SessionUser | null;
			session: Session | null;
			/** Opens and seals provider keys; never leaves the server. */
			secretKey: SecretKey;
			/** Wakes the job runner, here or in the workers, when a job starts or changes. */
			jobs: Waker;
			/** Wakes the fine-tune follower, here or in the workers, when one starts or is cancelled. */
			fineTunes: Waker;
			/** The largest input or output an import takes, in bytes (WINNOW_MAX_FIELD_MB). */
			maxFieldBytes: number;
		}
		interface Error {
			message: string;
		}
		interface PageState {
			/** An example opened in the drawer beside the examples list (shallow routing). */
			preview?: import('./routes/projects/[id=integer]/examples/[exampleId=integer]/$types').PageData;
		}
	}
}

export {};
