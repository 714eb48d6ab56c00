// A Cloudflare Worker that runs one command on an SSH server and returns its output.
// Configuration comes from the Worker's environment (see wrangler.toml or config.capnp):
// SSH_HOST, SSH_PORT, SSH_USER, SSH_PRIVATE_KEY (OpenSSH key file text, keep it a secret),
// SSH_HOST_KEY_FINGERPRINT ("SHA256:..." as `ssh-keygen -lf` prints it) and SSH_COMMAND.
import { connect } from 'cloudflare:sockets';
import { SshClient, parsePrivateKey, webStreamPair } from 'puressh';

export default {
  async fetch(request, env) {
    const socket = connect({ hostname: env.SSH_HOST, port: Number(env.SSH_PORT || 22) });
    const client = await SshClient.connect(await webStreamPair(socket), {
      username: env.SSH_USER,
      privateKeys: [parsePrivateKey(env.SSH_PRIVATE_KEY)],
      // Only the server whose host key this is may get the login.
      hostKeyVerifier: (hostKey) => hostKey.fingerprint === env.SSH_HOST_KEY_FINGERPRINT,
    });
    try {
      const result = await client.run(env.SSH_COMMAND);
      return new Response(result.stdout, {
        status: result.code === 0 ? 200 : 502,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'x-exit-status': String(result.code) },
      });
    } finally {
      await client.disconnect();
    }
  },
};
