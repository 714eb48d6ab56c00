/**
 * `sshd -T`: the effective configuration, one `keyword value` line each, in the order and
 * spelling of OpenSSH 9.2's dump_config() (servconf.c). Lines of keywords an OpenSSH built
 * without Kerberos and GSSAPI does not print are left out, as are keywords 9.2 does not
 * have (PerSourcePenalties).
 */
import { lookup } from 'node:dns/promises';
import { iptos2str } from './sshd-lexer.js';
import { formatAddress, parseAddress } from './sshd-match.js';
import type { SshdConfig } from './sshd-config.js';

/** Addresses a listen entry stands for, as getaddrinfo() returns them (numeric, in its order). */
export type ListenResolver = (host: string | null, family: SshdConfig['addressFamily']) => Promise<string[]>;

/** getaddrinfo(host, AI_PASSIVE when null) through the system resolver. */
export const systemResolver: ListenResolver = async (host, family) => {
  const want = family === 'inet' ? 4 : family === 'inet6' ? 6 : 0;
  if (host === null) return want === 4 ? ['0.0.0.0'] : want === 6 ? ['::'] : ['0.0.0.0', '::'];
  const numeric = parseAddress(host);
  if (numeric) {
    if ((want === 4 && numeric.length !== 4) || (want === 6 && numeric.length !== 16)) throw new Error('Address family for hostname not supported');
    return [formatAddress(numeric)];
  }
  const found = await lookup(host, { all: true, family: want, verbatim: true });
  return found.map((a) => a.address);
};

const yn = (b: boolean): string => (b ? 'yes' : 'no');

/**
 * The `listenaddress` lines: every address each ListenAddress (or the wildcard) stands for.
 * sshd resolves them as soon as the config is read; an unresolvable one is fatal then.
 */
export async function listenAddressLines(c: SshdConfig, resolve: ListenResolver = systemResolver): Promise<string[]> {
  const out: string[] = [];
  for (const la of c.listenAddresses) {
    let addrs: string[];
    try {
      addrs = await resolve(la.host, c.addressFamily);
    } catch (e) {
      throw new Error(`bad addr or host: ${la.host ?? '<NULL>'} (${(e as Error).message})`, { cause: e });
    }
    // sshd stacks each getaddrinfo() answer and prints the stack reversed (format_listen_addrs)
    for (const a of [...addrs].reverse()) out.push(`listenaddress ${a.includes(':') ? `[${a}]` : a}:${la.port}`);
  }
  return out;
}

/** The lines `sshd -T` prints for these settings (`listen`: from listenAddressLines). */
export function dumpSshdConfig(c: SshdConfig, listen: readonly string[]): string[] {
  const out: string[] = [];
  const line = (k: string, v: string | number): void => void out.push(`${k} ${v}`);
  for (const p of c.ports) line('port', p);
  line('addressfamily', c.addressFamily);
  out.push(...listen);
  line('usepam', yn(c.usePam));
  line('logingracetime', c.loginGraceTime);
  line('x11displayoffset', c.x11DisplayOffset);
  line('maxauthtries', c.maxAuthTries);
  line('maxsessions', c.maxSessions);
  line('clientaliveinterval', c.clientAliveInterval);
  line('clientalivecountmax', c.clientAliveCountMax);
  line('requiredrsasize', c.requiredRsaSize);
  line('streamlocalbindmask', '0' + c.streamLocalBindMask.toString(8));
  line('unusedconnectiontimeout', c.unusedConnectionTimeout === 0 ? 'none' : c.unusedConnectionTimeout);
  line('permitrootlogin', c.permitRootLogin === 'prohibit-password' ? 'without-password' : c.permitRootLogin);
  line('ignorerhosts', c.ignoreRhosts);
  line('ignoreuserknownhosts', yn(c.ignoreUserKnownHosts));
  line('hostbasedauthentication', yn(c.hostbasedAuthentication));
  line('hostbasedusesnamefrompacketonly', yn(c.hostbasedUsesNameFromPacketOnly));
  line('pubkeyauthentication', yn(c.pubkeyAuthentication));
  line('passwordauthentication', yn(c.passwordAuthentication));
  line('kbdinteractiveauthentication', yn(c.kbdInteractiveAuthentication));
  line('printmotd', yn(c.printMotd));
  line('printlastlog', yn(c.printLastLog));
  line('x11forwarding', yn(c.x11Forwarding));
  line('x11uselocalhost', yn(c.x11UseLocalhost));
  line('permittty', yn(c.permitTTY));
  line('permituserrc', yn(c.permitUserRC));
  line('strictmodes', yn(c.strictModes));
  line('tcpkeepalive', yn(c.tcpKeepAlive));
  line('permitemptypasswords', yn(c.permitEmptyPasswords));
  line('compression', yn(c.compression));
  line('gatewayports', c.gatewayPorts);
  line('usedns', yn(c.useDns));
  line('allowtcpforwarding', c.allowTcpForwarding);
  line('allowagentforwarding', yn(c.allowAgentForwarding));
  line('disableforwarding', yn(c.disableForwarding));
  line('allowstreamlocalforwarding', c.allowStreamLocalForwarding);
  line('streamlocalbindunlink', yn(c.streamLocalBindUnlink));
  line('fingerprinthash', c.fingerprintHash);
  line('exposeauthinfo', yn(c.exposeAuthInfo));
  const s = (v: string | null): string => v ?? 'none';
  line('pidfile', s(c.pidFile));
  line('modulifile', c.moduliFile);
  line('xauthlocation', s(c.xauthLocation));
  line('ciphers', c.ciphers.join(','));
  line('macs', c.macs.join(','));
  line('banner', s(c.banner));
  line('forcecommand', s(c.forceCommand));
  line('chrootdirectory', s(c.chrootDirectory));
  line('trustedusercakeys', s(c.trustedUserCaKeys));
  line('revokedkeys', s(c.revokedKeys));
  line('securitykeyprovider', s(c.securityKeyProvider));
  line('authorizedprincipalsfile', s(c.authorizedPrincipalsFile));
  line('versionaddendum', c.versionAddendum === '' ? 'none' : c.versionAddendum);
  line('authorizedkeyscommand', s(c.authorizedKeysCommand));
  line('authorizedkeyscommanduser', s(c.authorizedKeysCommandUser));
  line('authorizedprincipalscommand', s(c.authorizedPrincipalsCommand));
  line('authorizedprincipalscommanduser', s(c.authorizedPrincipalsCommandUser));
  line('hostkeyagent', s(c.hostKeyAgent));
  line('kexalgorithms', c.kexAlgorithms.join(','));
  line('casignaturealgorithms', c.caSignatureAlgorithms.join(','));
  line('hostbasedacceptedalgorithms', c.hostbasedAcceptedAlgorithms.join(','));
  line('hostkeyalgorithms', c.hostKeyAlgorithms.join(','));
  line('pubkeyacceptedalgorithms', c.pubkeyAcceptedAlgorithms.join(','));
  line('loglevel', c.logLevel === 'QUIET' ? 'SILENT' : c.logLevel); // log_level_name() calls QUIET "SILENT"
  line('syslogfacility', c.syslogFacility);
  if (c.authorizedKeysFile.length) line('authorizedkeysfile', c.authorizedKeysFile.join(' '));
  for (const k of c.hostKeys) line('hostkey', k);
  for (const k of c.hostCertificates) line('hostcertificate', k);
  for (const v of c.allowUsers) line('allowusers', v);
  for (const v of c.denyUsers) line('denyusers', v);
  for (const v of c.allowGroups) line('allowgroups', v);
  for (const v of c.denyGroups) line('denygroups', v);
  for (const v of c.acceptEnv) line('acceptenv', v);
  for (const v of c.setEnv) line('setenv', v);
  line('authenticationmethods', c.authenticationMethods.length ? c.authenticationMethods.join(' ') : 'any');
  if (c.logVerbose.length) line('logverbose', c.logVerbose.join(' '));
  if (c.channelTimeout.length) line('channeltimeout', c.channelTimeout.join(' '));
  for (const sub of c.subsystems) line('subsystem', `${sub.name} ${sub.args}`);
  line('maxstartups', `${c.maxStartups.begin}:${c.maxStartups.rate}:${c.maxStartups.full}`);
  line('persourcemaxstartups', c.perSourceMaxStartups ?? 'none');
  line('persourcenetblocksize', `${c.perSourceNetBlockSize.ipv4}:${c.perSourceNetBlockSize.ipv6}`);
  line('permittunnel', c.permitTunnel);
  line('ipqos', `${iptos2str(c.ipQos.interactive)} ${iptos2str(c.ipQos.bulk)}`);
  line('rekeylimit', `${c.rekeyLimit.bytes} ${c.rekeyLimit.seconds}`);
  line('permitopen', c.permitOpen.join(' '));
  line('permitlisten', c.permitListen.join(' '));
  line('permituserenvironment', typeof c.permitUserEnvironment === 'string' ? c.permitUserEnvironment : yn(c.permitUserEnvironment));
  line('pubkeyauthoptions', c.pubkeyAuthOptions.length ? c.pubkeyAuthOptions.join(' ') : 'none');
  return out;
}
