/**
 * expiry-time="YYYYMMDD[HHMM[SS]][Z]" as OpenSSH reads it (misc.c parse_absolute_time):
 * local time unless it ends in "Z" or "UTC" (either case); fields as strptime's %Y %m %d %H
 * %M %S accept them, out-of-range days rolled over as mktime does.
 */

/**
 * Seconds since the epoch for an OpenSSH absolute time, or undefined when malformed or
 * before 1970. Local time is the JavaScript runtime's time zone.
 * @example parseAbsoluteTime('20300101Z') // 1893456000
 */
export function parseAbsoluteTime(s: string): number | undefined {
  let l = s.length;
  let utc = false;
  if (l > 1 && s.slice(l - 1).toLowerCase() === 'z') {
    utc = true;
    l--;
  } else if (l > 3 && s.slice(l - 3).toLowerCase() === 'utc') {
    utc = true;
    l -= 3;
  }
  if (l !== 8 && l !== 12 && l !== 14) return undefined;
  const text = s.slice(0, l);
  if (!/^[0-9]+$/.test(text)) return undefined;
  const field = (at: number): number => (at < l ? Number(text.slice(at, at + 2)) : 0);
  const year = Number(text.slice(0, 4));
  const month = field(4);
  const day = field(6);
  const hour = field(8);
  const minute = field(10);
  const second = field(12);
  // strptime's ranges (glibc): %m 1-12, %d 1-31, %H 0-23, %M 0-59, %S 0-61
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 61) return undefined;
  const ms = utc ? Date.UTC(year, month - 1, day, hour, minute, second) : new Date(year, month - 1, day, hour, minute, second).getTime();
  // (Date reads years 0-99 as 1900-1999: before 1970 either way, so refused either way)
  if (Number.isNaN(ms) || ms < 0) return undefined;
  return Math.floor(ms / 1000);
}
