const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How long ago something happened, in the largest whole unit: "4 min", "3 h", "2 d". */
export function ageText(since: Date, now: Date): string {
	const ms = Math.max(0, now.getTime() - since.getTime());
	if (ms < MINUTE) return 'under a minute';
	if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
	if (ms < DAY) return `${Math.floor(ms / HOUR)} h`;
	return `${Math.floor(ms / DAY)} d`;
}
