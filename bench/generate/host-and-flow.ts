/**
 * Generators of host logs (BSD syslog `auth.log`, auditd `audit.log`, `journalctl -o json`
 * exports) and of Azure NSG flow logs (version 2 records as a storage account receives them).
 */
import {
  bsdTime,
  Clock,
  type FormatGenerator,
  iso,
  jsonList,
  lines,
  privateAddresses,
  publicAddresses,
  Random,
  skewedPick,
  userNames,
} from './common.ts';

/** Draws one `auth.log` message of sshd, sudo, cron or systemd-logind. */
function authMessage(random: Random, users: string[], peers: string[]): string {
  const user = skewedPick(random, users);
  const peer = skewedPick(random, peers);
  const port = random.int(32768, 60999);
  const pid = random.int(900, 40000);
  const kind = random.next();
  if (kind < 0.3)
    return `sshd[${pid}]: Failed password for invalid user ${random.pick(['admin', 'test', 'oracle', 'ubuntu', 'git'])} from ${peer} port ${port} ssh2`;
  if (kind < 0.45)
    return `sshd[${pid}]: Accepted publickey for ${user} from ${peer} port ${port} ssh2: ED25519 SHA256:${random.chars(43, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}`;
  if (kind < 0.55)
    return `sshd[${pid}]: pam_unix(sshd:session): session opened for user ${user}(uid=${random.int(1000, 1100)}) by (uid=0)`;
  if (kind < 0.65)
    return `sudo: ${user} : TTY=pts/${random.int(0, 4)} ; PWD=/home/${user} ; USER=root ; COMMAND=/usr/bin/${random.pick(['systemctl restart nginx', 'journalctl -u app', 'apt-get update', 'id'])}`;
  if (kind < 0.9)
    return `CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`;
  return `systemd-logind[${random.int(400, 600)}]: New session ${random.int(1, 9000)} of user ${user}.`;
}

function* authLines(count: number, seed: number): Generator<string> {
  const random = new Random(seed);
  const clock = new Clock(random, 300);
  const users = userNames(random, 12).map((name) => name.split('.')[0] ?? name);
  const peers = publicAddresses(random, 800);
  const hosts = ['web-1', 'web-2', 'bastion', 'db-1'];
  for (let i = 0; i < count; i++) {
    yield `${bsdTime(clock.tick())} ${skewedPick(random, hosts)} ${authMessage(random, users, peers)}`;
  }
}

export const syslogGenerator: FormatGenerator = {
  format: 'host.syslog',
  fileName: 'auth.log',
  pieces: (count, seed) => lines(authLines(count, seed)),
};

/** Draws one auditd record: a system call, a command run through sudo, or a login. */
function auditRecord(random: Random, ms: number, serial: number, peers: string[]): string {
  const stamp = `audit(${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}:${serial})`;
  const pid = random.int(900, 40000);
  const auid = random.pick([0, 1000, 1001, 4294967295]);
  const kind = random.next();
  if (kind < 0.55) {
    const [syscall, exe] = random.pick([
      ['59', '/usr/bin/curl'],
      ['257', '/usr/sbin/nginx'],
      ['42', '/usr/bin/python3'],
      ['59', '/usr/bin/bash'],
    ] as const);
    return `type=SYSCALL msg=${stamp}: arch=c000003e syscall=${syscall} success=yes exit=0 a0=${random.hex(12)} a1=${random.hex(12)} a2=0 a3=0 items=2 ppid=${random.int(1, 900)} pid=${pid} auid=${auid} uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=${random.int(1, 40)} comm="${exe.split('/').pop()}" exe="${exe}" subj=unconfined key="exec"`;
  }
  if (kind < 0.8) {
    return `type=USER_CMD msg=${stamp}: pid=${pid} uid=1000 auid=1000 ses=${random.int(1, 40)} msg='cwd="/home/ops" cmd=${random.hex(16)} exe="/usr/bin/sudo" terminal=pts/0 res=success'`;
  }
  const result = random.chance(0.4) ? 'failed' : 'success';
  return `type=USER_LOGIN msg=${stamp}: pid=${pid} uid=0 auid=${auid} ses=${random.int(1, 40)} msg='op=login acct="ops" exe="/usr/sbin/sshd" hostname=? addr=${skewedPick(random, peers)} terminal=sshd res=${result}'`;
}

function* auditLines(count: number, seed: number): Generator<string> {
  const random = new Random(seed);
  const clock = new Clock(random, 50);
  const peers = publicAddresses(random, 300);
  for (let i = 0; i < count; i++) yield auditRecord(random, clock.tick(), 1000 + i, peers);
}

export const auditdGenerator: FormatGenerator = {
  format: 'host.auditd',
  fileName: 'audit.log',
  pieces: (count, seed) => lines(auditLines(count, seed)),
};

function* journalEntries(count: number, seed: number): Generator<string> {
  const random = new Random(seed);
  const clock = new Clock(random, 200);
  const users = userNames(random, 12).map((name) => name.split('.')[0] ?? name);
  const peers = publicAddresses(random, 800);
  for (let i = 0; i < count; i++) {
    const ms = clock.tick();
    const message = authMessage(random, users, peers);
    const identifier = message.slice(0, message.search(/[[:]/));
    yield JSON.stringify({
      __CURSOR: `s=${random.hex(32)};i=${i.toString(16)};b=${random.hex(32)}`,
      __REALTIME_TIMESTAMP: `${ms}${random.int(100, 999)}`,
      __MONOTONIC_TIMESTAMP: String(ms - 1_715_000_000_000),
      _BOOT_ID: random.hex(32),
      PRIORITY: message.includes('Failed') ? '5' : '6',
      SYSLOG_FACILITY: '10',
      SYSLOG_IDENTIFIER: identifier,
      _PID: String(random.int(900, 40000)),
      _UID: '0',
      _COMM: identifier.toLowerCase(),
      _HOSTNAME: 'web-1',
      _TRANSPORT: 'syslog',
      MESSAGE: message.slice(message.indexOf(': ') + 2),
    });
  }
}

export const journaldGenerator: FormatGenerator = {
  format: 'host.journald',
  fileName: 'journal.json',
  pieces: (count, seed) => lines(journalEntries(count, seed)),
};

const NSG_RULES = ['UserRule_AllowHttpsIn', 'UserRule_AllowHttpsOut', 'DefaultRule_DenyAllInBound'];

/** One version 2 flow tuple: time, addresses, ports, protocol, direction, decision, state, counts. */
function flowTuple(
  random: Random,
  seconds: number,
  rule: string,
  hosts: string[],
  peers: string[],
): string {
  const host = skewedPick(random, hosts);
  const peer = skewedPick(random, peers);
  const ephemeral = random.int(32768, 60999);
  if (rule === 'DefaultRule_DenyAllInBound') {
    return `${seconds},${peer},${host},${ephemeral},${random.pick([22, 3389, 445])},T,I,D,B,,,,`;
  }
  const state = random.pick(['B', 'C', 'E']);
  const counts =
    state === 'B'
      ? ',,,'
      : `${random.int(1, 400)},${random.int(60, 600_000)},${random.int(1, 400)},${random.int(60, 900_000)}`;
  const inbound = rule.endsWith('In');
  const [src, dst, srcPort, dstPort] = inbound
    ? [peer, host, ephemeral, 443]
    : [host, peer, ephemeral, 443];
  return `${seconds},${src},${dst},${srcPort},${dstPort},T,${inbound ? 'I' : 'O'},A,${state},${counts}`;
}

/** NSG records of one minute each, with tuples grouped by rule, until `count` tuples are out. */
function* nsgRecords(count: number, seed: number): Generator<string> {
  const random = new Random(seed);
  const clock = new Clock(random, 4000);
  const hosts = privateAddresses(random, 40, 1);
  const peers = publicAddresses(random, 1000);
  const nsg = `/SUBSCRIPTIONS/${random.uuid().toUpperCase()}/RESOURCEGROUPS/PROD/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WEB-NSG`;
  const mac = random.hex(12).toUpperCase();
  let left = count;
  while (left > 0) {
    const ms = clock.tick();
    const flows = NSG_RULES.map((rule) => {
      const size = Math.min(left, random.int(1, 12));
      left -= size;
      const tuples = Array.from({ length: size }, () =>
        flowTuple(random, Math.floor(ms / 1000) - random.int(0, 59), rule, hosts, peers),
      );
      return { rule, flows: [{ mac, flowTuples: tuples }] };
    }).filter((group) => group.flows[0]?.flowTuples.length);
    yield JSON.stringify({
      time: iso(ms).replace('Z', '0000Z'),
      systemId: random.uuid(),
      macAddress: mac,
      category: 'NetworkSecurityGroupFlowEvent',
      resourceId: nsg,
      operationName: 'NetworkSecurityGroupFlowEvents',
      properties: { Version: 2, flows },
    });
  }
}

export const azureFlowGenerator: FormatGenerator = {
  format: 'azure.flow',
  fileName: 'PT1H.json',
  pieces: (count, seed) => jsonList('{"records":[', nsgRecords(count, seed), ']}\n'),
};
