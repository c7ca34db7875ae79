/** A Tuesday about a year ahead (plus `weeksAhead` weeks) at 20:00+01:00: the demo restaurant is open then. */
export function futureTuesday(weeksAhead: number): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 365 + 7 * weeksAhead);
  while (d.getUTCDay() !== 2) d.setUTCDate(d.getUTCDate() + 1);
  return `${d.toISOString().slice(0, 10)}T20:00:00+01:00`;
}
