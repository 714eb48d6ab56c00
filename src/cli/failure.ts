/**
 * What `puressh ssh` prints when it cannot run the command (it then exits 255), worded like
 * OpenSSH's ssh so scripts and people recognise the failure.
 */
import {
  AlgorithmNegotiationError,
  AuthError,
  ChannelOpenError,
  ConnectionLostError,
  DisconnectError,
  HostKeyError,
  ProtocolError,
  SshError,
  TimeoutError,
  type AlgorithmKind,
} from '../errors.js';
import { BEFORE_IDENTIFICATION, UNSUPPORTED_VERSION } from '../transport/version.js';
import { UsageError } from './ssh-args.js';
import { AlgorithmSpecError } from './algo-list.js';

export interface FailureContext {
  host: string;
  port: number;
  user: string;
  /** lines the host-key policy recorded when it refused the key */
  hostKeyRefusal: readonly string[];
}

const NEGOTIATION_LABEL: Record<AlgorithmKind, string> = {
  kex: 'key exchange method',
  hostkey: 'host key type',
  cipher_cs: 'cipher',
  cipher_sc: 'cipher',
  mac_cs: 'MAC',
  mac_sc: 'MAC',
  compression_cs: 'compression method',
  compression_sc: 'compression method',
};

/** A jump host would not open the channel to the next hop (ssh -W's "stdio forwarding failed"). */
export class StdioForwardError extends Error {
  override name = 'StdioForwardError';
  constructor(readonly refusal: ChannelOpenError) {
    super('stdio forwarding failed');
  }
}

/** RFC 4254 §5.1 reason codes as OpenSSH words them (channels.c reason2txt). */
const OPEN_FAILURE_TEXT: Record<number, string> = { 1: 'administratively prohibited', 2: 'connect failed', 3: 'unknown channel type', 4: 'resource shortage' };

function openFailed(e: ChannelOpenError): string {
  return `channel 0: open failed: ${OPEN_FAILURE_TEXT[e.reason] ?? 'unknown reason'}${e.description ? `: ${e.description}` : ''}`;
}

function causeCode(e: unknown): string | undefined {
  for (let c: unknown = e, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  }
  return undefined;
}

/**
 * One stderr line of a failure, with the level ssh logs it at: ssh's sshpkt_fatal() ends the
 * session with logdie(), at INFO, so `-o LogLevel=ERROR` (or -q) hides those lines; error()
 * and fatal() lines show unless LogLevel is QUIET.
 */
export interface FailureLine {
  level: 'info' | 'error';
  text: string;
}

/** Log the lines for a failure, each at its level. */
export function logFailure(log: { info(line: string): void; error(line: string): void }, err: unknown, ctx: FailureContext): void {
  for (const l of failureLines(err, ctx)) {
    if (l.level === 'info') log.info(l.text);
    else log.error(l.text);
  }
}

const info = (text: string): FailureLine => ({ level: 'info', text });

/** The stderr lines for a failure (without trailing newlines). */
export function failureLines(err: unknown, ctx: FailureContext): FailureLine[] {
  return failureText(err, ctx).map((l) => (typeof l === 'string' ? { level: 'error', text: l } : l));
}

/** Plain strings are error lines. */
function failureText(err: unknown, ctx: FailureContext): (string | FailureLine)[] {
  const at = `${ctx.host} port ${ctx.port}`;
  if (err instanceof UsageError || err instanceof AlgorithmSpecError) return [err.message];
  if (err instanceof StdioForwardError) return [openFailed(err.refusal), err.message];
  if (err instanceof ChannelOpenError) return [openFailed(err)];
  if (err instanceof HostKeyError) {
    if (err.kind === 'signature') return [`puressh: ${at}: ${err.message}`, 'Host key verification failed.'];
    return [...ctx.hostKeyRefusal, 'Host key verification failed.'];
  }
  if (err instanceof AuthError) {
    if (err.code !== 'AUTHENTICATION_FAILED') return [`puressh: ${ctx.user}@${ctx.host}: ${err.message}`];
    return [`${ctx.user}@${ctx.host}: Permission denied (${err.methodsLeft.join(',')}).`];
  }
  if (err instanceof AlgorithmNegotiationError) {
    return [info(`Unable to negotiate with ${at}: no matching ${NEGOTIATION_LABEL[err.kind]} found. Their offer: ${err.theirs.join(',')}`)];
  }
  if (err instanceof DisconnectError) {
    return err.byPeer
      ? [info(`Received disconnect from ${at}:${err.reason}: ${err.description}`), info(`Disconnected from ${at}`)]
      : [`puressh: ${err.message}`];
  }
  const code = causeCode(err);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return [`puressh: Could not resolve hostname ${ctx.host}: Name or service not known`];
  // The identification exchange (RFC 4253 §4.2), in the words of ssh's kex_exchange_identification().
  if (err instanceof ConnectionLostError && err.message.includes(BEFORE_IDENTIFICATION)) {
    if (code === 'ECONNRESET') return ['kex_exchange_identification: read: Connection reset by peer', info(`Connection reset by ${at}`)];
    return ['kex_exchange_identification: Connection closed by remote host', info(`Connection closed by ${at}`)];
  }
  if (err instanceof ProtocolError && err.code === 'BANNER_RECV' && err.message.startsWith(UNSUPPORTED_VERSION)) {
    const major = /: SSH-(\d+)\./.exec(err.message)?.[1] ?? '?';
    return [`Protocol major versions differ: 2 vs. ${major}`, info(`banner exchange: Connection to ${at}: could not read protocol version`)];
  }
  // The setup timeout (ConnectTimeout) most often ends a silent peer's banner exchange.
  if (err instanceof TimeoutError && err.message.includes('during connection setup')) {
    return ['Connection timed out during banner exchange', info(`Connection to ${at} timed out`)];
  }
  if (err instanceof ConnectionLostError) {
    return [info(code === 'ECONNRESET' ? `Connection reset by ${at}` : `Connection closed by ${at}`)];
  }
  if (err instanceof SshError) {
    // connectTcp's messages already name the host ("connect to host H port P: Connection refused")
    return [err.message.startsWith('connect to host') ? `puressh: ${err.message}` : `puressh: ${at}: ${err.message}`];
  }
  return [`puressh: ${(err as Error | undefined)?.message ?? String(err)}`];
}
