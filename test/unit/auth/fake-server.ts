/**
 * A scripted userauth peer for unit tests: each USERAUTH request we send is handed to the
 * script, which returns the replies the "server" sends back (banners included).
 */
import { MSG } from '../../../src/wire/constants.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';
import type { AuthTransport } from '../../../src/auth/index.js';

export interface SentRequest {
  raw: Uint8Array;
  type: number;
  /** for USERAUTH_REQUEST: user, service, method and a reader at the method fields */
  user?: string;
  method?: string;
  body?: Reader;
}

export type Script = (req: SentRequest, index: number) => Uint8Array[];

export const SESSION_ID = new Uint8Array(32).fill(0x5a);

export function fakeTransport(script: Script, serverSigAlgs: string[] | null = null): AuthTransport & { sent: SentRequest[] } {
  const inbox: Uint8Array[] = [];
  const sent: SentRequest[] = [];
  let n = 0;
  return {
    sent,
    sessionId: SESSION_ID,
    serverSigAlgs,
    async send(p: Uint8Array) {
      const req: SentRequest = { raw: p.slice(), type: p[0]! };
      if (p[0] === MSG.SERVICE_REQUEST) {
        inbox.push(new Writer().u8(MSG.SERVICE_ACCEPT).string('ssh-userauth').finish().slice());
        return;
      }
      if (p[0] === MSG.USERAUTH_REQUEST) {
        const r = new Reader(p, 1);
        req.user = r.text();
        r.ascii();
        req.method = r.ascii();
        req.body = r;
      }
      sent.push(req);
      inbox.push(...script(req, n++));
    },
    async receive() {
      const p = inbox.shift();
      if (!p) throw new Error('fake server has nothing to say');
      return p;
    },
  };
}

export const failure = (methods: string[], partial = false) => new Writer().u8(MSG.USERAUTH_FAILURE).nameList(methods).bool(partial).finish().slice();
export const success = () => new Uint8Array([MSG.USERAUTH_SUCCESS]);
export const banner = (text: string) => new Writer().u8(MSG.USERAUTH_BANNER).string(text).string('').finish().slice();
export function infoRequest(name: string, instruction: string, prompts: [string, boolean][]): Uint8Array {
  const w = new Writer().u8(MSG.USERAUTH_INFO_REQUEST).string(name).string(instruction).string('').u32(prompts.length);
  for (const [p, e] of prompts) w.string(p).bool(e);
  return w.finish().slice();
}
export const changeRequest = (prompt: string) => new Writer().u8(MSG.USERAUTH_PASSWD_CHANGEREQ).string(prompt).string('').finish().slice();
