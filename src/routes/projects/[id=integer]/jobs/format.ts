/** Display helpers shared by the job pages. */
export const percent = (share: number) => `${Math.floor(share * 1000) / 10}%`;

export const dollars = (amount: number) =>
	amount === 0 ? '$0' : amount < 0.01 ? `$${amount.toFixed(4)}` : `$${amount.toFixed(2)}`;

export function duration(seconds: number): string {
	if (seconds < 60) return `${Math.ceil(seconds)} s`;
	const minutes = Math.round(seconds / 60);
	return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
