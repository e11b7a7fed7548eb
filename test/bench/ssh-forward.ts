/** An OpenSSH local forward for bench:tunnel's TCP modes: a throwaway sshd and key on free ports. */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';
import { accepting, freePort } from '../helpers/ports.js';

/** A running `ssh -L` forward: its local port, and the ssh client's and sshd's process ids. */
export interface SshForward {
  port: number;
  pids: { ssh: number; sshd: number };
  close(): void;
}

/**
 * An sshd on a free port with a throwaway host key and client key, and `ssh -N -L` forwarding a free local port to
 * `127.0.0.1:target` through it. Undefined (with the reason printed) when sshd or ssh is missing.
 */
export async function sshForward(target: number): Promise<SshForward | undefined> {
  if (spawnSync('sh', ['-c', 'command -v ssh && test -x /usr/sbin/sshd']).status !== 0) {
    console.log('(c) skipped: OpenSSH is not installed (apt-get install openssh-server openssh-client)');
    return undefined;
  }
  const dir = tempDir('tether-ssh-');
  for (const key of ['host', 'client'])
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, key)], { stdio: 'ignore' });
  writeFileSync(join(dir, 'authorized_keys'), spawnSync('cat', [join(dir, 'client.pub')]).stdout);
  const [sshdPort, localPort] = [await freePort(), await freePort()];
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${sshdPort}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding yes',
      `PidFile ${join(dir, 'sshd.pid')}`,
    ].join('\n'),
  );
  spawnSync('mkdir', ['-p', '/run/sshd']);
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: 'ignore' });
  await waitFor(() => accepting(sshdPort), 'sshd to listen');
  const ssh = spawn(
    'ssh',
    [
      '-N',
      '-L',
      `127.0.0.1:${localPort}:127.0.0.1:${target}`,
      '-p',
      String(sshdPort),
      '-i',
      join(dir, 'client'),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'LogLevel=ERROR',
      `${process.env.USER ?? 'root'}@127.0.0.1`,
    ],
    { stdio: 'ignore' },
  );
  const close = (): void => {
    ssh.kill('SIGKILL');
    sshd.kill('SIGKILL');
  };
  process.once('exit', close);
  await waitFor(() => accepting(localPort), 'the ssh -L port to listen');
  return { port: localPort, close, pids: { ssh: ssh.pid ?? 0, sshd: sshd.pid ?? 0 } };
}
